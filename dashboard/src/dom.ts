// Building the page: a small element helper instead of a framework, since every view is a
// handful of tables and charts refreshed as a whole.

type Child = Node | string | number | null | undefined | false;
type Props = Record<string, string | number | boolean | EventListener | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]):
    HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (typeof value === "function") {
      element.addEventListener(name.replace(/^on/, ""), value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else if (value !== undefined && value !== false) {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A table whose body the caller fills, with one header row. */
export function table(className: string, headings: string[], rows: HTMLTableRowElement[], empty: string):
    HTMLTableElement {
  const body = h("tbody");
  append(body, rows.length ? rows : [h("tr", {}, h("td", { colspan: headings.length, class: "empty" }, empty))]);
  return h("table", { class: className },
    h("thead", {}, h("tr", {}, ...headings.map((heading) => h("th", { scope: "col" }, heading)))), body);
}

export function section(className: string, title: string, ...children: Child[]): HTMLElement {
  return h("section", { class: className }, h("h2", {}, title), ...children);
}
