// With lib esnext the classes are esnext's own Disposable: `using` frees them.
import { StreamReader } from "../../target/typescript/pkg/streamlab.js";

export function scoped(): number {
  using reader = new StreamReader(4);
  const disposable: Disposable = reader;
  void disposable;
  return reader.limit;
}
