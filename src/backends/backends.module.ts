import { HttpModule, HttpService } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { BackendClientService } from './backend-client.service';
import { LoadBalancerService } from './load-balancer.service';
import { PoolAttemptsService } from './pool-attempts.service';
import { CircuitBreakerService } from './circuit-breaker.service';
import { ModelCatalogService } from './model-catalog.service';
import { upstreamAxiosConfig, withoutDefaultHeaders } from './undici-adapter';
import { UpstreamPoolsService } from './upstream-pools.service';
import { AnswerRelayService } from './answer-relay.service';

@Module({
  imports: [HttpModule.register(upstreamAxiosConfig)],
  providers: [BackendClientService, AnswerRelayService, UpstreamPoolsService, CircuitBreakerService, ModelCatalogService, LoadBalancerService, PoolAttemptsService],
  exports: [BackendClientService, UpstreamPoolsService, CircuitBreakerService, ModelCatalogService, LoadBalancerService],
})
export class BackendsModule {
  constructor(http: HttpService) {
    withoutDefaultHeaders(http.axiosRef);
  }
}
