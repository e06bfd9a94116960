/**
 * @internal
 * The 16-byte header that opens every spool segment (docs/spool-format.md):
 * the magic `KIQSPOOL`, the format version (u16 LE), six reserved zero
 * bytes. A segment whose version is newer than {@link FORMAT_VERSION} was
 * written by a newer Kiq: it is left untouched, never replayed or deleted.
 */

/** Bytes of the segment header. */
export const HEADER_BYTES = 16;

/** The format this code writes and reads. */
export const FORMAT_VERSION = 1;

const MAGIC = Buffer.from('KIQSPOOL', 'ascii');

/** The header of a segment written by this version. */
export function encodeHeader(): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt16LE(FORMAT_VERSION, 8);
  return header;
}

/** What a segment's first bytes say. */
export type HeaderCheck =
  | { readonly kind: 'ok' }
  /** Fewer than 16 bytes: the process died while creating the segment (it holds no record). */
  | { readonly kind: 'short' }
  | { readonly kind: 'not-a-segment' }
  | { readonly kind: 'newer'; readonly version: number };

/** Check a segment's header (`bytes` = its first {@link HEADER_BYTES} bytes or fewer). */
export function checkHeader(bytes: Buffer): HeaderCheck {
  if (bytes.length < HEADER_BYTES) return { kind: 'short' };
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) return { kind: 'not-a-segment' };
  const version = bytes.readUInt16LE(8);
  if (version > FORMAT_VERSION) return { kind: 'newer', version };
  return { kind: 'ok' };
}
