/** Bindings and exports of the edge Worker (wrangler.toml). */
declare namespace Cloudflare {
  interface Env {
    SPACES: DurableObjectNamespace<import("./durable-objects/space.js").SpaceDO>;
  }
  interface Exports {
    /** The Worker's default export (the Hono app), as a service for tests inside workerd. */
    default: Fetcher;
  }
}
interface Env extends Cloudflare.Env {}
