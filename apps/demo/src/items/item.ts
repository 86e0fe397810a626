/** An item of the demo's catalogue. */
export interface Item {
  readonly id: number;
  readonly name: string;
  readonly priceCents: number;
}

/** What a client sends to create one. */
export interface NewItem {
  readonly name: string;
  readonly priceCents: number;
}
