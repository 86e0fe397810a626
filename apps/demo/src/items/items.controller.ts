import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  ParseIntPipe,
  Post,
} from '@nestjs/common';
import type { Item, NewItem } from './item.js';
import { ItemsService } from './items.service.js';

/** The JSON API: list, read, create and delete items. */
@Controller('api/items')
export class ItemsController {
  constructor(private readonly items: ItemsService) {}

  @Get()
  list(): Item[] {
    return this.items.list();
  }

  @Get(':id')
  find(@Param('id', ParseIntPipe) id: number): Item {
    const item = this.items.find(id);
    if (!item) throw new NotFoundException(`item ${id} does not exist`);
    return item;
  }

  @Post()
  create(@Body() body: unknown): Item {
    return this.items.create(parseNewItem(body));
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Param('id', ParseIntPipe) id: number): void {
    if (!this.items.remove(id)) throw new NotFoundException(`item ${id} does not exist`);
  }
}

/** Checks a request body by hand: the demo keeps its dependencies to NestJS and upgate. */
function parseNewItem(body: unknown): NewItem {
  const problems: string[] = [];
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const { name, priceCents } = record;
  if (typeof name !== 'string' || name.trim() === '' || name.length > 100)
    problems.push('name must be a non-empty string of at most 100 characters');
  if (typeof priceCents !== 'number' || !Number.isInteger(priceCents) || priceCents < 0)
    problems.push('priceCents must be a whole number of cents, 0 or more');
  if (problems.length > 0) throw new BadRequestException(problems);
  return { name: (name as string).trim(), priceCents: priceCents as number };
}
