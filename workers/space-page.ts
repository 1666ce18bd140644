/**
 * The space's web page. A placeholder until the web UI exists: it says what the space is
 * and how to connect a client to it.
 */
import { html } from "hono/html";
import type { SpaceId } from "../core/ids.js";

export const spacePage = (space: SpaceId) => html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${space} · Commons</title>
  </head>
  <body>
    <main>
      <h1>${space}</h1>
      <p>This is a Commons space: a shared, replicated workspace for humans and agents.</p>
      <p>Connect any Yjs client to this URL, for example:</p>
      <pre><code>new WebsocketProvider(location.origin.replace(/^http/, "ws") + "/s", "${space}", doc)</code></pre>
      <p>Who is here: <a href="/s/${space}/presence">/s/${space}/presence</a></p>
    </main>
  </body>
</html>`;
