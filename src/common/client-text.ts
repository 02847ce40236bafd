// Strings a client sends are any UTF-16 a JSON body can carry: lone surrogates, NUL, control characters.
// These make them safe to put where such characters break something (URI encoding, metric labels).

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Lone surrogates replaced by U+FFFD, as String.prototype.toWellFormed does (not in the ES2022 lib). */
export function wellFormed(value: string): string {
  return value.replace(LONE_SURROGATE, '\ufffd');
}

/** Well-formed and without control characters (each becomes U+FFFD): for labels and one-line text. */
export function printable(value: string): string {
  return wellFormed(value).replace(CONTROL, '\ufffd');
}

/** At most `max` characters, with an ellipsis when cut: client text in a log line stays a line. */
export function clipped(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max)}…`;
}
