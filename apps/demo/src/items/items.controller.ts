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

/** The JSON API: list, read, create and delete items (in PostgreSQL; 503 while it cannot be reached). */
@Controller('api/items')
export class ItemsController {
  constructor(private readonly items: ItemsService) {}

  @Get()
  list(): Promise<Item[]> {
    return this.items.list();
  }

  @Get(':id')
  async find(@Param('id', ParseIntPipe) id: number): Promise<Item> {
    const item = await this.items.find(id);
    if (!item) throw new NotFoundException(`item ${id} does not exist`);
    return item;
  }

  @Post()
  create(@Body() body: unknown): Promise<Item> {
    return this.items.create(parseNewItem(body));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id', ParseIntPipe) id: number): Promise<void> {
    if (!(await this.items.remove(id))) throw new NotFoundException(`item ${id} does not exist`);
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
