// A form that acts on the chain: its inputs are checked first, its button is disabled while it runs,
// and one line under it says what is happening, what happened, or what went wrong.

import { h, replaceChildren } from "../dom";
import { explain } from "../wallet/errors";

export class ActionStatus {
  readonly element = h("p", { class: "action-status", role: "status", "aria-live": "polite" });

  progress(text: string): void {
    this.element.className = "action-status busy";
    replaceChildren(this.element, text);
  }

  done(...children: (Node | string)[]): void {
    this.element.className = "action-status done";
    replaceChildren(this.element, ...children);
  }

  fail(error: unknown): void {
    this.element.className = "action-status error";
    replaceChildren(this.element, explain(error));
  }

  clear(): void {
    this.element.className = "action-status";
    replaceChildren(this.element);
  }
}

/**
 * Runs `task` for a form's submission: the form's controls are disabled until it ends, so that a
 * second click cannot send twice, and its outcome lands in `status`.
 */
export function onSubmit(form: HTMLFormElement, status: ActionStatus, task: () => Promise<void>): void {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void run(form, status, task);
  });
}

export async function run(scope: HTMLElement, status: ActionStatus, task: () => Promise<void>): Promise<void> {
  const controls = [...scope.querySelectorAll<HTMLButtonElement | HTMLInputElement | HTMLSelectElement>(
    "button, input, select")].filter((control) => !control.disabled);
  for (const control of controls) control.disabled = true;
  try {
    await task();
  } catch (error) {
    status.fail(error);
  } finally {
    for (const control of controls) control.disabled = false;
  }
}

/** A labelled input; `name` is also its test handle. */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement): HTMLLabelElement {
  return h("label", { class: "field" }, h("span", {}, label), input);
}
