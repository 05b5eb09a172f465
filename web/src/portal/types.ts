// The portal's own UI types; every GraphQL result type comes from the schema (documents.ts).

export interface FeedItem {
  at: string;
  text: string;
}

/** Adds a line to the live feed. */
export type Note = (text: string) => void;
