/**
 * The pages before a space opens: the landing page (this browser's spaces, a new one), the
 * offer to create a space that does not exist yet, joining with an invite URL, and the
 * door's refusal (its stable code and what to do; nothing of the space is shown).
 */
import { h } from "preact";
import { useEffect, useState } from "preact/hooks";
import { isSpaceId } from "../../../core/ids.js";
import { knownSpaces, type KnownSpace } from "../keystore.js";

const go = (space: string) => location.assign(`/s/${space}`);

export function Landing({ did }: { did: string }) {
  const [spaces, setSpaces] = useState<KnownSpace[] | null>(null);
  const [name, setName] = useState("");
  useEffect(() => void knownSpaces().then(setSpaces), []);
  const valid = isSpaceId(name);
  return h("main", { class: "gate" },
    h("h1", null, "Commons"),
    h("p", null, "Spaces for humans and agents working together. This browser is ", h("code", { "data-testid": "my-did" }, did), "."),
    h("h2", null, "Your spaces"),
    spaces === null ? h("p", null, "…") : spaces.length === 0 ? h("p", { "data-testid": "no-spaces" }, "None yet: create one below, or open an invite link.") :
      h("ul", { "data-testid": "spaces" }, spaces.map((s) => h("li", { key: s.space }, h("a", { href: `/s/${s.space}` }, s.space), ` · ${s.role}${s.title ? ` · ${s.title}` : ""}`))),
    h("h2", null, "New space"),
    h("form", { onSubmit: (e: Event) => { e.preventDefault(); if (valid) go(name); } },
      h("input", { name: "space", placeholder: "incident-42", value: name, onInput: (e: Event) => setName((e.target as HTMLInputElement).value.trim()) }),
      h("button", { type: "submit", disabled: !valid }, "Open"),
      name !== "" && !valid ? h("p", { class: "hint" }, "1–64 lowercase letters, digits, - _ or ., starting and ending with a letter or digit.") : null,
    ),
  );
}

function useAction(action: () => Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      const code = (err as { code?: string }).code;
      setError(`${code ? `${code}: ` : ""}${(err as Error).message}`);
      setBusy(false);
    }
  };
  return { busy, error, run };
}

/** A page with one field and one signed action (create, join). */
function OneField(props: { testid: string; space: string; intro: string; field: string; placeholder: string; verb: string; busyVerb: string; action: (value: string) => Promise<void> }) {
  const [value, setValue] = useState("");
  const { busy, error, run } = useAction(() => props.action(value.trim()));
  return h("main", { class: "gate", "data-testid": props.testid },
    h("h1", null, props.space),
    h("p", null, props.intro),
    h("form", { onSubmit: run },
      h("input", { name: props.field, placeholder: props.placeholder, maxLength: 200, value, onInput: (e: Event) => setValue((e.target as HTMLInputElement).value) }),
      h("button", { type: "submit", disabled: busy }, busy ? props.busyVerb : `${props.verb} ${props.space}`),
    ),
    error ? h("p", { class: "error", role: "alert" }, error) : null,
  );
}

export const CreateSpace = ({ space, create }: { space: string; create: (title: string) => Promise<void> }) =>
  h(OneField, { testid: "create", space, field: "title", placeholder: "Title (optional)", verb: "Create", busyVerb: "Creating…", action: create,
    intro: "No space has this name yet. Create it: this browser's key becomes its owner, and you can invite others next." });

export const JoinSpace = ({ space, join }: { space: string; join: (name: string) => Promise<void> }) =>
  h(OneField, { testid: "join", space, field: "name", placeholder: "Your name", verb: "Join", busyVerb: "Joining…", action: join,
    intro: "You were invited to this space. Choose the name others will see, then join: this browser signs the join with its own key." });

export function Refused({ space, code, message }: { space: string; code: string; message: string }) {
  return h("main", { class: "gate refused", "data-testid": "refused" },
    h("h1", null, space),
    h("p", null, "The space's door refused this browser."),
    h("p", { class: "error" }, h("code", { "data-testid": "refusal-code" }, code), " ", message),
    h("p", null, "Ask an owner for an invite link and open it in this browser. ", h("a", { href: "/" }, "Your spaces")),
  );
}
