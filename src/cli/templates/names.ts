/**
 * @internal
 * Names for `kiq gen`: what the user typed (`Mailer`, `billing::invoice_mailer`,
 * `audit-log`) as a class name, TypeScript identifiers and a file path, as
 * Kiq's mix generators derive `lib/<underscored>.ex` from a module name.
 */

/** The forms of one generated name. */
export interface GenName {
  /** As written to Redis for a worker: PascalCase segments joined by `::` (`Billing::InvoiceMailer`). */
  readonly className: string;
  /** The last segment, PascalCase (`InvoiceMailer`): the exported constant of a worker or reporter. */
  readonly pascal: string;
  /** The last segment, camelCase (`invoiceMailer`). */
  readonly camel: string;
  /** Path without extension, kebab-case segments joined by `/` (`billing/invoice-mailer`). */
  readonly path: string;
  /** Kebab-case last segment (`invoice-mailer`): the module's file name. */
  readonly file: string;
}

/** Words a generated `const` may not be named (reserved in strict-mode modules, or confusing). */
const RESERVED = new Set(
  (
    'await break case catch class const continue debugger default delete do else enum export extends false finally for ' +
    'function if implements import in instanceof interface let new null package private protected public return static ' +
    'super switch this throw true try typeof var void while with yield arguments eval undefined'
  ).split(' '),
);

/** Splits `InvoiceMailer`, `invoice_mailer`, `invoice-mailer`, `HTTPClient` into lower-case words. */
function words(segment: string): string[] {
  return segment
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s_-]+/)
    .filter(Boolean)
    .map((word) => word.toLowerCase());
}

const capital = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);

/**
 * The forms of `input`, or a message saying what is wrong with it. Segments
 * are separated by `::` (or `.`, or `/`); each starts with a letter and holds
 * letters, digits, `_` and `-`.
 *
 * @example
 * genName('billing::invoice_mailer'); // { className: 'Billing::InvoiceMailer', pascal: 'InvoiceMailer', path: 'billing/invoice-mailer', … }
 */
export function genName(input: string): GenName | string {
  const segments = input.trim().split(/::|\.|\//);
  if (segments.some((segment) => !/^[A-Za-z][A-Za-z0-9_-]*$/.test(segment))) {
    return `'${input}' is not a name: use letters and digits, starting with a letter (e.g. Mailer, InvoiceMailer or Billing::Invoice)`;
  }
  const split = segments.map(words);
  // a segment already in PascalCase is kept as typed (HTTPClient stays HTTPClient)
  const pascals = segments.map((segment, i) => (/^[A-Z][A-Za-z0-9]*$/.test(segment) ? segment : split[i]!.map(capital).join('')));
  const last = split[split.length - 1]!;
  const pascal = pascals[pascals.length - 1]!;
  const camel = last[0]! + last.slice(1).map(capital).join('');
  if (RESERVED.has(camel)) return `'${input}' would make '${camel}' an identifier, which is reserved: pick another name`;
  return {
    className: pascals.join('::'),
    pascal,
    camel,
    path: split.map((ws) => ws.join('-')).join('/'),
    file: last.join('-'),
  };
}
