// A host page driving an embed through the postMessage API, type-checked (never run) against
// www/embed.d.ts by `cargo xtask test`; each `@ts-expect-error` proves a wrong message is refused.

import type { EmbedMessage, EmbedRequest } from "../../www/embed.d.ts";

declare const frame: { contentWindow: { postMessage(message: EmbedRequest, origin: string): void } };
declare function onMessage(listener: (e: { origin: string; data: unknown }) => void): void;

const target = "http://127.0.0.1:8765";
const send = (m: EmbedRequest) => frame.contentWindow.postMessage(m, target);

onMessage((e) => {
  if (e.origin !== target) return;
  const m = e.data as EmbedMessage;
  if (m.source !== "streamlab") return;
  switch (m.type) {
    case "ready":
      send({ type: "setScript", script: m.state.script + "print(1)\n" });
      send({ type: "run" });
      break;
    case "output": {
      const stream: "stdout" | "stderr" = m.stream;
      console.log(stream, m.text);
      break;
    }
    case "result": {
      const ok: boolean = m.status === 0;
      console.log(ok, m.stdout.length + m.stderr.length);
      break;
    }
    case "event": {
      const at: number = m.event.t;
      console.log(m.connection, m.event.type, at);
      break;
    }
    case "state":
      console.log(m.state.host, m.state.relay ?? "no relay");
      break;
    case "error":
      console.error(m.message);
      break;
  }
});

send({ type: "getState" });
send({ type: "reset" });
// @ts-expect-error: setScript needs its script
send({ type: "setScript" });
// @ts-expect-error: not a message of the API
send({ type: "runAll" });
