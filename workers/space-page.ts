/**
 * The web app's shell, served by the Worker for `GET /` (in a browser) and `GET /s/:space`:
 * the space's name at once, then the bundled app (client/web/, built into dist/web/app/ and
 * served as static assets). The Worker stays first on these paths because `/s/:space` is
 * also the space's socket and `/` also the JSON service description.
 */
import { html } from "hono/html";

export const appShell = (space: string | null) => html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${space === null ? "Commons" : `${space} · Commons`}</title>
    <link rel="stylesheet" href="/app/main.css" />
    <script type="module" src="/app/main.js"></script>
  </head>
  <body>
    <div id="app">
      <main class="gate">
        <h1>${space ?? "Commons"}</h1>
        <p>Opening${space === null ? "" : " the space"}…</p>
        <noscript>
          <p>This page is the Commons web app and needs JavaScript. Without it, use the CLI:
          <code>commons join &lt;invite-url&gt;</code>, or any Yjs client on this URL.</p>
        </noscript>
      </main>
    </div>
  </body>
</html>`;
