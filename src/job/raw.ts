/**
 * @internal
 * A job exactly as Redis holds it. Sidekiq and Kiq write JSON, which is
 * UTF-8, so nearly every entry is kept as its string; an entry whose bytes
 * are not valid UTF-8 (another producer wrote them) is kept as those bytes,
 * because the private list is settled by exact bytes (`LREM`, the dead
 * move): its decoded text, with U+FFFD for each bad sequence, would match
 * nothing there and the job would never leave the list.
 */
import { isUtf8 } from 'node:buffer';

/** A fetched entry: its text when valid UTF-8, else the original bytes. */
export type RawJob = string | Buffer;

/**
 * An entry read from Redis as bytes, in its {@link RawJob} form.
 *
 * @example
 * toRawJob(Buffer.from('{"class":"A"}')); // '{"class":"A"}'
 * toRawJob(Buffer.from([0x7b, 0xff, 0x7d])); // <Buffer 7b ff 7d>
 */
export function toRawJob(bytes: Buffer): RawJob {
  return isUtf8(bytes) ? bytes.toString('utf8') : bytes;
}

/** The text a job is decoded from: the string itself, or the bytes decoded with U+FFFD replacements. */
export function rawText(raw: RawJob): string {
  return typeof raw === 'string' ? raw : raw.toString('utf8');
}
