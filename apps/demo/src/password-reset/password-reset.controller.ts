import { randomBytes } from 'node:crypto';
import { BadRequestException, Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { CheckedHost, getSettingsResolutionToken, type HealthSettingsResolution } from '@upgate/health';
import { publicScheme } from '../settings/public-scheme.js';

/**
 * Builds an absolute URL, as a password-reset e-mail would carry. The host in it is the one
 * upgate checked against the allowlist, never the raw Host header: a forged Host either fails the
 * check (400 before this code runs) or is an allowed host, so the link cannot point elsewhere.
 * (The demo returns the link instead of mailing it.)
 */
@Controller('api/password-resets')
export class PasswordResetController {
  private readonly scheme: 'http' | 'https';

  constructor(@Inject(getSettingsResolutionToken()) resolution: HealthSettingsResolution) {
    this.scheme = publicScheme(resolution);
  }

  @Post()
  @HttpCode(202)
  request(@Body() body: unknown, @CheckedHost() host: string): { email: string; resetUrl: string } {
    const email = (body as { email?: unknown } | null)?.email;
    if (typeof email !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(email))
      throw new BadRequestException(['email must be an e-mail address']);
    const token = randomBytes(16).toString('hex');
    return { email, resetUrl: `${this.scheme}://${host}/reset-password?token=${token}` };
  }
}
