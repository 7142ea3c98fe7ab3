// Small DOM helpers shared by the lessons.

type Child = Node | string | null | undefined | false;

/** Creates an element with attributes and children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

/** A labelled input; returns the label (to place) and the input (to read). */
export function field(label: string, id: string, value: string, attrs: Record<string, string> = {}): [HTMLLabelElement, HTMLInputElement] {
  const input = el('input', { id, value, type: 'number', ...attrs });
  return [el('label', { for: id }, label, input), input];
}

/** A labelled select. */
export function choice(label: string, id: string, options: Array<[string, string]>, value?: string): [HTMLLabelElement, HTMLSelectElement] {
  const select = el('select', { id }, ...options.map(([v, text]) => el('option', { value: v }, text)));
  if (value) select.value = value;
  return [el('label', { for: id }, label, select), select];
}

/** Replaces a container's children. */
export function show(container: Element, ...children: Child[]): void {
  container.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
}

/** A lesson section with a heading and an introduction. */
export function section(id: string, title: string, ...intro: Child[]): HTMLElement {
  const s = el('section', { id, 'aria-labelledby': `${id}-title` }, el('h2', { id: `${id}-title` }, title), ...intro);
  document.getElementById('lessons')!.append(s);
  return s;
}

/** Formats a number for display. */
export function fmt(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1e5 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : x.toFixed(digits);
}

/** Parses "0.2, 0.3, 0.5" into numbers. */
export function parseList(text: string): number[] {
  return text
    .split(/[,\s]+/)
    .filter(Boolean)
    .map(Number);
}
