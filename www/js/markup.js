// The playground's markup, one copy for every way it is shown: the page (index.html), the
// embed (embed.html) and each <stream-playground> (in its shadow root). Ids are unique within
// one playground; views are found within its root.

/** The HTML of one playground. */
export const PLAYGROUND_HTML = String.raw`<div id="problems" class="card problems" role="status" hidden></div>
<form id="connect-form" class="connect card" aria-label="Open a connection">
  <div class="field host">
    <label for="host">host</label>
    <input id="host" name="host" list="demo-hosts" value="example.demo" autocomplete="off" spellcheck="false" required>
    <datalist id="demo-hosts"></datalist>
  </div>
  <div class="field port">
    <label for="port">port</label>
    <input id="port" name="port" inputmode="numeric" value="80" required>
  </div>
  <div class="field limit">
    <label for="limit">limit</label>
    <input id="limit" name="limit" inputmode="numeric" value="65536">
  </div>
  <div class="field relay">
    <label for="relay">relay</label>
    <select id="relay" name="relay">
      <option value="">in-page demo servers</option>
      <option value="this">this relay</option>
      <option value="url">a relay URL…</option>
    </select>
  </div>
  <div class="field relay-url" hidden>
    <label for="relay-url">relay URL</label>
    <input id="relay-url" name="relayUrl" placeholder="ws://127.0.0.1:8765" spellcheck="false">
  </div>
  <div class="field ssl">
    <label><input id="ssl" name="ssl" type="checkbox"> ssl</label>
  </div>
  <div class="field go">
    <button type="submit" class="primary">open_connection</button>
  </div>
  <p id="demo-summary" class="hint" aria-live="polite"></p>
</form>

<nav class="tabs" aria-label="Connections">
  <div id="tabs" role="tablist"></div>
  <p id="no-connection" class="hint">No connection yet: press <b>open_connection</b>, or load an example.</p>
</nav>

<section id="example-card" class="card example" hidden aria-label="Example">
  <div class="example-head">
    <h2 id="example-title"></h2>
    <div class="example-actions">
      <button id="example-step" type="button" class="primary">Step</button>
      <button id="example-run" type="button">Run all</button>
      <button id="example-close" type="button" class="ghost" aria-label="Close the example">✕</button>
    </div>
  </div>
  <p id="example-intro" class="intro"></p>
  <ol id="example-steps" class="steps"></ol>
</section>

<div class="workbench">
  <section id="methods" class="card methods" aria-label="Methods" tabindex="-1">
    <h2>reader <span class="muted">StreamReader</span></h2>
    <div class="method-grid" id="reader-methods"></div>
    <h2>writer <span class="muted">StreamWriter</span></h2>
    <div class="method-grid" id="writer-methods"></div>
  </section>

  <section class="card output" aria-label="Results">
    <div class="output-head">
      <h2>results</h2>
      <button id="clear-log" type="button" class="ghost small">clear</button>
    </div>
    <div id="log" class="log" role="log" aria-live="polite" aria-relevant="additions"></div>
  </section>

  <section class="card buffer" aria-label="Inside the reader and writer">
    <h2>inside the stream</h2>
    <sl-buffer id="buffer"></sl-buffer>
  </section>

  <section class="card timeline" aria-label="Timeline">
    <div class="output-head">
      <h2>timeline</h2>
      <span id="timeline-count" class="muted small"></span>
    </div>
    <sl-timeline id="timeline"></sl-timeline>
  </section>
</div>

<section id="python" class="card python" aria-label="Python">
  <div class="output-head">
    <h2>Python <span class="muted">CPython 3.13 (Pyodide), asyncio streams by streamlab</span></h2>
    <div class="py-tabs" role="tablist" aria-label="Python">
      <button type="button" role="tab" id="py-tab-console" aria-selected="true" aria-controls="py-console">console</button>
      <button type="button" role="tab" id="py-tab-script" aria-selected="false" aria-controls="py-script">script</button>
    </div>
  </div>
  <p id="py-status" class="py-status" hidden><progress max="1" value="0"></progress> <span></span></p>
  <div id="py-console" role="tabpanel" aria-labelledby="py-tab-console">
    <pre id="py-out" class="py-out" role="log" aria-live="polite" tabindex="0" aria-label="Python output"></pre>
    <div class="py-input">
      <label id="py-prompt" class="prompt" for="py-in">&gt;&gt;&gt;</label>
      <textarea id="py-in" rows="1" spellcheck="false" autocapitalize="off" autocomplete="off" aria-label="Python console input (Enter runs, Ctrl-C stops, Tab indents; Escape then Tab moves on)"
        placeholder="Type Python here (Python loads when you first click)"></textarea>
      <button id="py-stop" type="button" class="small" title="Ctrl-C: cancel the running statement">Stop</button>
    </div>
  </div>
  <div id="py-script" role="tabpanel" aria-labelledby="py-tab-script" hidden>
    <textarea id="py-source" class="py-source" rows="14" wrap="off" spellcheck="false" autocapitalize="off" aria-label="Python script (Tab indents; Escape then Tab moves on)">import asyncio


async def main():
reader, writer = await asyncio.open_connection("example.demo", 80)
writer.write(b"GET / HTTP/1.0\r\n\r\n")
print(await reader.readline())
writer.close()
await writer.wait_closed()


asyncio.run(main())
</textarea>
    <div class="py-actions">
      <button id="py-run" type="button" class="primary">Run script</button>
    <button id="py-share" type="button" title="A link with this script and these settings (nothing is sent anywhere)">Share</button>
      <select id="py-example" aria-label="Load an example as a script"></select>
    </div>
    <p id="py-share-out" class="share" hidden><input id="py-share-url" readonly aria-label="Link to this script" spellcheck="false"> <span class="muted small" id="py-share-note"></span></p>
    <pre id="py-script-out" class="py-out" role="log" aria-live="polite" tabindex="0" aria-label="Script output"></pre>
  </div>
</section>
`;
