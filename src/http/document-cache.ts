// A cache keyed by GraphQL document text and bounded by the length of those texts, for the parsed documents
// of every door (yoga's parse cache, the direct path's, the WebSocket's). A parsed document holds about 250
// times its text (a 64 KB text, the body and message limit, ~16 MB), so a cache bounded by its number of
// entries (yoga's 1,024, ours 1,000) could be made to hold gigabytes by anyone who may send a document. This
// one keeps texts up to MAX_TEXT (longer ones are parsed for their request alone) and at most MAX_BYTES of
// text in all, dropping the least recently used.

const MAX_BYTES = 256 * 1024;
const MAX_TEXT = 8 * 1024;

export class DocumentCache<V> {
  private readonly entries = new Map<string, V>();
  private bytes = 0;

  constructor(
    private readonly maxBytes = MAX_BYTES,
    private readonly maxText = MAX_TEXT,
  ) {}

  get(text: string): V | undefined {
    const value = this.entries.get(text);
    if (value === undefined) return undefined;
    this.entries.delete(text); // most recently used last
    this.entries.set(text, value);
    return value;
  }

  set(text: string, value: V): void {
    if (text.length > this.maxText) return;
    if (this.entries.delete(text)) this.bytes -= text.length;
    for (const oldest of this.entries.keys()) {
      if (this.bytes + text.length <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= oldest.length;
    }
    this.entries.set(text, value);
    this.bytes += text.length;
  }

  /** Texts kept and their total length (for tests). */
  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }
}
