/**
 * The shared artifact editor, loaded on demand (its own chunk, budgeted apart from the first
 * paint): CodeMirror 6 bound to the space document's `Y.Text` "notes" by y-codemirror.next,
 * which also draws the others' cursors from their awareness states (`user` names them).
 */
import { EditorState } from "@codemirror/state";
import { EditorView, keymap } from "@codemirror/view";
import { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
import type { YjsLink } from "../yjs-link.js";

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"];

export function mountEditor(parent: HTMLElement, yjs: YjsLink, name: string): () => void {
  const text = yjs.doc.getText("notes");
  const color = COLORS[yjs.doc.clientID % COLORS.length]!;
  yjs.awareness.setLocalStateField("user", { name, color, colorLight: `${color}33` });
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: text.toString(),
      extensions: [keymap.of(yUndoManagerKeymap), EditorView.lineWrapping, yCollab(text, yjs.awareness)],
    }),
  });
  return () => view.destroy();
}
