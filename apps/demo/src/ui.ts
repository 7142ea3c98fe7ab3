// Small DOM helpers shared by the lessons.
import * as Plot from '@observablehq/plot';

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

/** What a numeric field accepts; `what` names the quantity in the learner's words. */
export interface NumberRule {
  what: string;
  min?: number;
  /** true: the value must be strictly greater than min */
  above?: boolean;
  max?: number;
  integer?: boolean;
  /** why the maximum is there, said after "at most …" */
  maxReason?: string;
}

/** Checks one typed number; returns the number or the message to show next to the field. */
export function checkNumber(raw: string, r: NumberRule): number | string {
  const t = raw.trim();
  if (t === '') return `Type a number for ${r.what}.`;
  const v = Number(t);
  if (Number.isNaN(v)) return `“${t}” is not a number. Use digits, like 0.5 or 1e-3.`;
  if (r.integer && Number.isFinite(v) && !Number.isInteger(v))
    return `${cap(r.what)} must be a whole number, like ${Math.max(1, Math.round(v))}.`;
  if (r.min !== undefined && (r.above ? v <= r.min : v < r.min)) {
    if (r.above && r.min === 0) return `${cap(r.what)} must be more than 0.`;
    return `${cap(r.what)} must be ${r.above ? 'more than' : 'at least'} ${r.min}.`;
  }
  if (!Number.isFinite(v) || (r.max !== undefined && v > r.max)) {
    return `${cap(r.what)} must be at most ${r.max ?? 'a finite number'}${r.maxReason ? ` ${r.maxReason}` : ''}.`;
  }
  return v;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** A checked field: the label to place, the input, and read() which shows any problem next to it. */
export interface Checked<T> {
  label: HTMLLabelElement;
  input: HTMLInputElement;
  /** The value, or undefined after showing what is wrong next to the field. */
  read(): T | undefined;
}

/** Marks an input as wrong (or right) with a message placed next to it. */
export function flag(input: HTMLInputElement, message: string | null): void {
  const id = `${input.id}-error`;
  let box = document.getElementById(id);
  if (!box) {
    box = el('span', { id, class: 'field-error', 'aria-live': 'polite' });
    input.insertAdjacentElement('afterend', box);
    input.setAttribute('aria-describedby', id);
  }
  box.textContent = message ?? '';
  if (message) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

/** A labelled number field checked on every keystroke and when read. */
export function numberField(
  label: string,
  id: string,
  value: string,
  rule: NumberRule,
  attrs: Record<string, string> = {},
): Checked<number> {
  const input = el('input', { id, value, type: 'text', inputmode: rule.integer ? 'numeric' : 'decimal', autocomplete: 'off', ...attrs });
  input.classList.add('num');
  const read = () => {
    const r = checkNumber(input.value, rule);
    flag(input, typeof r === 'string' ? r : null);
    return typeof r === 'number' ? r : undefined;
  };
  input.addEventListener('input', read);
  return { label: el('label', { for: id }, label, input), input, read };
}

/** Checks a list of probabilities (weights, rescaled to sum to 1); returns them or a message. */
export function checkDistribution(text: string, name: string): number[] | string {
  const parts = text.split(/[,\s]+/).filter(Boolean);
  if (parts.length === 0) return `Type the probabilities of ${name}, separated by commas, like 0.5, 0.5.`;
  const bad = parts.find((s) => Number.isNaN(Number(s)));
  if (bad !== undefined) return `“${bad}” is not a number. Use digits, like 0.25.`;
  const p = parts.map(Number);
  if (p.length < 2) return `${cap(name)} needs at least two outcomes.`;
  if (p.length > 26) return `${cap(name)} can have at most 26 outcomes.`;
  if (p.some((v) => v < 0)) return 'A probability cannot be negative.';
  if (p.some((v) => !Number.isFinite(v) || v > 1e6)) return 'That number is too large: use values like 0.2.';
  if (p.reduce((s, v) => s + v, 0) <= 0) return 'At least one outcome must have a probability above 0.';
  return p;
}

/** Reads several checked fields at once: all values, or undefined (each problem shown, the first focused). */
export function readAll(...fields: Checked<number>[]): number[] | undefined {
  const values = fields.map((f) => f.read());
  const first = values.indexOf(undefined);
  if (first >= 0) {
    fields[first]!.input.focus();
    return undefined;
  }
  return values as number[];
}

/** A chart width that fits its container (charts are drawn at the size they are shown). */
export function fitWidth(container: Element | null, preferred: number, min = 260): number {
  let w = container?.clientWidth ?? 0;
  if (container && w > 0) {
    const cs = getComputedStyle(container);
    w -= Number.parseFloat(cs.paddingLeft) + Number.parseFloat(cs.paddingRight);
  }
  const page = document.getElementById('lessons');
  // before a container is laid out, fall back to the page's own content width
  const avail = w > 0 ? w : (page?.clientWidth ?? preferred) - 48;
  return Math.max(min, Math.min(preferred, Math.floor(avail)));
}

const redraws: Array<() => void> = [];
let lastWidth = typeof window === 'undefined' ? 0 : window.innerWidth;
let timer: ReturnType<typeof setTimeout> | undefined;

/** Calls draw again whenever the page's width changes, so charts stay legible on any screen. */
export function onResize(draw: () => void): void {
  if (redraws.length === 0) {
    window.addEventListener('resize', () => {
      if (window.innerWidth === lastWidth) return;
      lastWidth = window.innerWidth;
      clearTimeout(timer);
      timer = setTimeout(() => {
        for (const f of redraws) f();
      }, 150);
    });
  }
  redraws.push(draw);
}

/**
 * Plot.plot, made readable by screen readers: Plot labels its inner groups ("bar", "x-axis"), and
 * a label is only allowed on an element with a role, so each labelled group becomes a group.
 */
export function chart(options: Plot.PlotOptions): Element {
  const p = Plot.plot(options) as Element;
  for (const g of Array.from(p.querySelectorAll('g[aria-label]'))) g.setAttribute('role', 'group');
  return p;
}
