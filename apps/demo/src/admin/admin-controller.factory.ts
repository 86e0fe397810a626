import { Controller, Delete, Get, HttpCode, Post, type Type } from '@nestjs/common';
import { AllowHosts, Readiness } from '@upgate/health';
import { ItemsService } from '../items/items.service.js';

/** What the admin API reports. */
export interface AdminStats {
  readonly items: number;
  readonly uptimeSeconds: number;
  readonly heapUsedBytes: number;
}

/** The readiness the app has set for itself. */
export interface MaintenanceState {
  readonly maintenance: boolean;
  /** Every reason standing (maintenance among them, or others the app set). */
  readonly notReadyFor: readonly string[];
}

/** The reason the maintenance switch marks the app not ready with; /ready shows it under probeDetails 'full'. */
export const MAINTENANCE_REASON = 'maintenance';

/**
 * The admin API, limited with `@AllowHosts` to the admin host(s). Those come from the deploy
 * file (its `admin.*` entries of proxy.hosts), which is read at start-up, after this module is
 * loaded: so the controller class is made once the hosts are known, rather than decorated with
 * a host written here by hand.
 *
 * The maintenance switch takes this instance out of service without stopping it: /ready answers
 * 503, so Kubernetes (readinessProbe) and load balancers stop sending it traffic, while /up stays
 * 200 (no restart) and the admin API still answers, to switch it back.
 */
export function adminController(hosts: readonly string[]): Type<unknown> {
  @Controller('admin')
  @AllowHosts(...hosts)
  class AdminController {
    constructor(
      private readonly items: ItemsService,
      private readonly readiness: Readiness,
    ) {}

    @Get('stats')
    async stats(): Promise<AdminStats> {
      return {
        items: await this.items.count(),
        uptimeSeconds: Math.round(process.uptime()),
        heapUsedBytes: process.memoryUsage().heapUsed,
      };
    }

    @Get('maintenance')
    maintenance(): MaintenanceState {
      return this.state();
    }

    /** `curl -X POST https://admin.example.com/admin/maintenance`: out of service. */
    @Post('maintenance')
    @HttpCode(200)
    startMaintenance(): MaintenanceState {
      this.readiness.markNotReady(MAINTENANCE_REASON);
      return this.state();
    }

    /** `curl -X DELETE https://admin.example.com/admin/maintenance`: back in service. */
    @Delete('maintenance')
    endMaintenance(): MaintenanceState {
      this.readiness.markReady(MAINTENANCE_REASON);
      return this.state();
    }

    private state(): MaintenanceState {
      const reasons = this.readiness.reasons;
      return { maintenance: reasons.includes(MAINTENANCE_REASON), notReadyFor: reasons };
    }
  }
  return AdminController;
}
