import { inspect } from 'node:util';

// A secret that cannot leak by accident: JSON.stringify, pino, util.inspect and string conversion all print
// `[redacted]`; only `reveal()` gives the text, and the one caller that needs it says so by calling it.

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return '[redacted]';
  }

  toString(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}

export const secret = (value: string | undefined | null): Secret | null =>
  value === undefined || value === null ? null : new Secret(value);
