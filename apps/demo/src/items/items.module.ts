import { Module } from '@nestjs/common';
import { ItemsController } from './items.controller.js';
import { ItemsService } from './items.service.js';

/** The catalogue: its API and its table (the database comes from the global DatabaseModule). */
@Module({ controllers: [ItemsController], providers: [ItemsService], exports: [ItemsService] })
export class ItemsModule {}
