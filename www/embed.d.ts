// The postMessage API of embed.html (docs/embedding.md): what a host page posts to the
// iframe, and what the iframe posts back. It is on only for the origin the host names with
// `embed.html?origin=…`; every message the embed posts carries `source: "streamlab"`.

/** What a host page may post to the embed. */
export type EmbedRequest =
  /** Runs the script; answered by `result` (and `output`, `event` while it runs). */
  | { type: "run" }
  /** Closes its connections, restores the first script, clears the output; answered by `state`. */
  | { type: "reset" }
  /** Replaces the script (it does not run it); answered by `state`. */
  | { type: "setScript"; script: string }
  /** Answered by `state`. */
  | { type: "getState" };

/** The script and settings, as URL parameters would give them (what a permalink holds). */
export interface EmbedState {
  script: string;
  host: string;
  port: string;
  limit: string;
  relay?: string;
}

/** One event of a connection's timeline (the JS API's `StreamEvent`, structured-cloned). */
export interface EmbedEvent {
  type: string;
  /** Milliseconds on the page's clock. */
  t: number;
  [field: string]: unknown;
}

/** What the embed posts to the host page. */
export type EmbedMessage = { source: "streamlab" } & (
  | { type: "ready"; state: EmbedState }
  | { type: "output"; stream: "stdout" | "stderr"; text: string }
  | { type: "result"; status: number; stdout: string; stderr: string }
  | { type: "event"; connection: string; event: EmbedEvent }
  | { type: "state"; state: EmbedState }
  | { type: "error"; message: string }
);
