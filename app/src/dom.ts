/** Small DOM and formatting helpers: no UI framework, just elements, text and a few formats. */

type Child = Node | string | number | bigint | null | undefined | false;
type Props = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

/**
 * An element: `h("td", { class: "num" }, "42")`. Props starting with `on` are listeners
 * (`onclick`), `true` sets an empty attribute, `false`/`undefined` leave it out; children are nodes or text.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props | null = null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else if (value !== false && value !== undefined) el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replaces the children of `el`. */
export function show(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren(...h("div", null, ...children).childNodes);
}

/** `YYYY-MM-DD HH:MM UTC` of a unix time in seconds. */
export function formatTime(seconds: bigint | number): string {
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** `YYYY-MM-DD` of a unix time in seconds (UTC). */
export function formatDate(seconds: bigint | number): string {
  return new Date(Number(seconds) * 1000).toISOString().slice(0, 10);
}

/** A `<time>` element for a unix time. */
export function time(seconds: bigint | number, text = formatTime(seconds)): HTMLTimeElement {
  return h("time", { datetime: new Date(Number(seconds) * 1000).toISOString() }, text);
}

/** An amount of token base units with `decimals` decimals, as `1,234.56`. */
export function formatAmount(units: bigint, decimals: number): string {
  const scale = 10n ** BigInt(decimals);
  const whole = units / scale;
  const cents = ((units % scale) * 100n) / scale;
  return `${whole.toLocaleString("en")}.${cents.toString().padStart(2, "0")}`;
}

/** A long hex value abbreviated: `0x1234…abcd`. */
export function short(hex: string): string {
  return hex.length > 14 ? `${hex.slice(0, 6)}…${hex.slice(-4)}` : hex;
}

/** One line saying what went wrong, from an SDK or ethers error. */
export function errorText(error: unknown): string {
  const e = error as { shortMessage?: string; message?: string };
  return (e.shortMessage ?? e.message ?? String(error)).split("\n")[0];
}

/** A status line: `kind` is `info`, `ok` or `error` (the latter gets role=alert). */
export function status(kind: "info" | "ok" | "error", text: string): HTMLElement {
  return h("p", { class: `status status-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}
