import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { RouterConfigService } from '../config/router-config.service';

/**
 * Applies `trust_proxy` to Express, so the client address (req.ip) that limits failed authentications
 * is the one a trusted load balancer forwards rather than the balancer's own.
 */
@Injectable()
export class TrustProxyService implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly configService: RouterConfigService,
  ) {}

  onModuleInit(): void {
    const apply = (value: boolean | number | string) => this.adapterHost.httpAdapter?.getInstance()?.set?.('trust proxy', value);
    apply(this.configService.current.trustProxy);
    this.configService.onChange((config) => apply(config.trustProxy));
  }
}
