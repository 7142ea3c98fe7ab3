// Small DOM helpers shared by the lessons.
import * as Plot from '@observablehq/plot';
import { type Messages, onLang, t } from './i18n.js';

/** What an element can hold: a node, a text, or nothing. */
export type Child = Node | string | null | undefined | false;

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
export function field(label: Child, id: string, value: string, attrs: Record<string, string> = {}): [HTMLLabelElement, HTMLInputElement] {
  const input = el('input', { id, value, type: 'number', ...attrs });
  return [el('label', { for: id }, label, input), input];
}

/** A labelled select. */
export function choice(label: Child, id: string, options: Array<[string, Child]>, value?: string): [HTMLLabelElement, HTMLSelectElement] {
  const select = el('select', { id }, ...options.map(([v, text]) => el('option', { value: v }, text)));
  if (value) select.value = value;
  return [el('label', { for: id }, label, select), select];
}

const views = new Map<Element, () => Child[]>();

/** Replaces a container's children (and forgets any view drawn there by `live`). */
export function show(container: Element, ...children: Child[]): void {
  views.delete(container);
  container.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
}

/**
 * Shows render() in a container, and again, in the new words, after every change of language:
 * for what a lesson shows in answer to the learner (a result, a status), which must stay.
 */
export function live(container: Element, render: () => Child[]): void {
  show(container, ...render());
  views.set(container, render);
}
onLang(() => {
  for (const [c, render] of [...views]) if (c.isConnected) live(c, render);
});

/** A lesson section with a heading and an introduction. */
export function section(id: string, title: Child, ...intro: Child[]): HTMLElement {
  const s = el('section', { id, 'aria-labelledby': `${id}-title` }, el('h2', { id: `${id}-title` }, title), ...intro);
  document.getElementById('lessons')!.append(s);
  return s;
}

/** Formats a number for display. */
export function fmt(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1e5 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : x.toFixed(digits);
}

/**
 * A typed value as a message quotes it: at most 24 characters, the rest as "…", so a pasted
 * page of text does not become a page-long message.
 */
export function quoted(text: string): string {
  const chars = Array.from(text);
  return chars.length > 24 ? `${chars.slice(0, 24).join('')}…` : text;
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
  what: (m: Messages) => string;
  min?: number;
  /** true: the value must be strictly greater than min */
  above?: boolean;
  max?: number;
  integer?: boolean;
  /** why the maximum is there, said after "at most …" */
  maxReason?: (m: Messages) => string;
  /** a value to show as an example in a message (the field's starting value) */
  example?: string;
}

/** A number written in decimal digits, optionally with an exponent: "0.5", "-3", "1e-3", ".25". */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Reads a typed number as decimal only: hexadecimal ("0x1A"), binary, "Infinity" and the like
 * are not numbers here, and neither is a value that only rounds to 0 ("1e-400"). Returns the
 * number, 'not-number' or 'underflow'.
 */
export function parseDecimal(text: string): number | 'not-number' | 'underflow' {
  const s = text.trim();
  if (!DECIMAL.test(s)) return 'not-number';
  const v = Number(s);
  // a mantissa with a digit other than 0 that gives 0 was too small to hold, not zero
  if (v === 0 && /[1-9]/.test(s.split(/[eE]/)[0]!)) return 'underflow';
  return v;
}

/** What a field accepts, in the learner's words ("a whole number from 1 to 50"). */
export function accepts(r: NumberRule): string {
  return t().check.accepts({ integer: r.integer === true, min: r.min, above: r.above === true, max: r.max });
}

/** Checks one typed number; returns the number or the message to show next to the field. */
export function checkNumber(raw: string, r: NumberRule): number | string {
  const m = t();
  const c = m.check;
  const what = r.what(m);
  const text = raw.trim();
  const ok = accepts(r);
  const example = r.example ?? (r.integer ? String(Math.max(1, r.min ?? 1)) : '0.5');
  if (text === '') return c.empty(what, ok);
  const v = parseDecimal(text);
  if (v === 'not-number') return c.notNumber(quoted(text), ok, example);
  if (v === 'underflow') return c.underflow(quoted(text), ok);
  if (r.integer && Number.isFinite(v) && !Number.isInteger(v)) return c.whole(what, Math.max(1, Math.round(v)), ok);
  if (r.min !== undefined && (r.above ? v <= r.min : v < r.min)) {
    if (r.above && r.min === 0) return c.moreThan0(what, ok);
    return r.above ? c.moreThan(what, r.min, ok) : c.atLeast(what, r.min, ok);
  }
  if (!Number.isFinite(v) || (r.max !== undefined && v > r.max)) return c.atMost(what, r.max, r.maxReason ? r.maxReason(m) : '');
  return v;
}

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
  label: Child,
  id: string,
  value: string,
  rule: NumberRule,
  attrs: Record<string, string> = {},
): Checked<number> {
  const input = el('input', { id, value, type: 'text', inputmode: rule.integer ? 'numeric' : 'decimal', autocomplete: 'off', ...attrs });
  input.classList.add('num');
  const withExample = { example: value, ...rule };
  const read = () => {
    const r = checkNumber(input.value, withExample);
    flag(input, typeof r === 'string' ? r : null);
    return typeof r === 'number' ? r : undefined;
  };
  input.addEventListener('input', read);
  // a message beside the field is said again in the new language
  onLang(() => {
    if (input.getAttribute('aria-invalid') === 'true') read();
  });
  return { label: el('label', { for: id }, label, input), input, read };
}

/** Checks a list of probabilities (weights, rescaled to sum to 1); returns them or a message (name: the list, in the page's language). */
export function checkDistribution(text: string, name: string): number[] | string {
  const c = t().check;
  const parts = text.split(/[,\s]+/).filter(Boolean);
  if (parts.length === 0) return c.distEmpty(name);
  const bad = parts.find((s) => typeof parseDecimal(s) !== 'number');
  if (bad !== undefined) return parseDecimal(bad) === 'underflow' ? c.distUnderflow(quoted(bad)) : c.distNotNumber(quoted(bad));
  const p = parts.map(Number);
  if (p.length < 2) return c.distTwo(name);
  if (p.length > 26) return c.distMany(name);
  if (p.some((v) => v < 0)) return c.distNegative;
  if (p.some((v) => !Number.isFinite(v) || v > 1e6)) return c.distLarge;
  if (p.reduce((s, v) => s + v, 0) <= 0) return c.distZero;
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

/**
 * A message of the gd library (in English, as the library says it) with the page's explanation
 * after it where the page is not in English; the original is marked as English for screen readers.
 */
export function libraryError(prefix: string, message: string, explanation: string, tag: 'p' | 'span' = 'p'): HTMLElement {
  const m = t();
  return el(
    tag,
    { class: 'error' },
    prefix,
    m.page.libraryError,
    el('span', { lang: 'en' }, message),
    explanation ? el('span', { class: 'explain' }, ` ${explanation}`) : null,
  );
}
