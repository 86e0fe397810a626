import { Injectable } from '@nestjs/common';
import type { Item, NewItem } from './item.js';

/** The catalogue, in memory: each process starts with the same three items. */
@Injectable()
export class ItemsService {
  private readonly items = new Map<number, Item>();
  private nextId = 1;

  constructor() {
    for (const item of [
      { name: 'Kettle', priceCents: 2900 },
      { name: 'Teapot', priceCents: 3400 },
      { name: 'Tea towel', priceCents: 900 },
    ]) {
      this.create(item);
    }
  }

  list(): Item[] {
    return [...this.items.values()];
  }

  find(id: number): Item | undefined {
    return this.items.get(id);
  }

  create(item: NewItem): Item {
    const created = { id: this.nextId++, name: item.name, priceCents: item.priceCents };
    this.items.set(created.id, created);
    return created;
  }

  remove(id: number): boolean {
    return this.items.delete(id);
  }
}
