import { Controller, Get, type Type } from '@nestjs/common';
import { AllowHosts } from '@upgate/health';
import { ItemsService } from '../items/items.service.js';

/** What the admin API reports. */
export interface AdminStats {
  readonly items: number;
  readonly uptimeSeconds: number;
  readonly heapUsedBytes: number;
}

/**
 * The admin API, limited with `@AllowHosts` to the admin host(s). Those come from the deploy
 * file (its `admin.*` entries of proxy.hosts), which is read at start-up, after this module is
 * loaded: so the controller class is made once the hosts are known, rather than decorated with
 * a host written here by hand.
 */
export function adminController(hosts: readonly string[]): Type<unknown> {
  @Controller('admin')
  @AllowHosts(...hosts)
  class AdminController {
    constructor(private readonly items: ItemsService) {}

    @Get('stats')
    stats(): AdminStats {
      return {
        items: this.items.list().length,
        uptimeSeconds: Math.round(process.uptime()),
        heapUsedBytes: process.memoryUsage().heapUsed,
      };
    }
  }
  return AdminController;
}
