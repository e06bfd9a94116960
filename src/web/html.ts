/**
 * @internal
 * The one way the dashboard writes HTML: the {@link html} tag escapes every
 * interpolated value unless it is already {@link Html} (the output of another
 * `html` call). Everything read from Redis (job args, class names, error
 * messages, queue names, process tags) is attacker-controlled, so no page
 * builds markup by string concatenation.
 */

/** Markup that is safe to emit as it is: only {@link html} and {@link raw} make one. */
export class Html {
  /** The markup. */
  readonly value: string;

  constructor(value: string) {
    this.value = value;
  }

  toString(): string {
    return this.value;
  }
}

/** A value an `html` template accepts: escaped text, nested markup, lists of either; `null`/`undefined`/`false` render nothing. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/**
 * Text escaped for an HTML text node or a quoted attribute value.
 *
 * @example
 * escapeHtml('"><img onerror=alert(1)>'); // '&quot;&gt;&lt;img onerror=alert(1)&gt;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * Tagged template: the literal parts are trusted markup, every `${value}` is
 * escaped (see {@link HtmlValue}). Attribute values must be quoted.
 *
 * @example
 * html`<td class="args">${job.args}</td>`;
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Trusted markup (a constant of our own), emitted unescaped. Never pass data from Redis or a request. */
export function raw(markup: string): Html {
  return new Html(markup);
}
