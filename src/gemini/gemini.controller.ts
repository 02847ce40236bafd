import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { BackendClientService } from '../backends/backend-client.service';
import { geminiModel, modelIdOf } from '../backends/google-model';
import { ModelCatalogService } from '../backends/model-catalog.service';
import { isGoogleModelsRequest } from '../common/gemini-path';
import { badRequest, OpenAIError } from '../common/openai-error';
import type { AnswerBridge } from '../common/answer-bridge';
import type { ProxyContext, RouteTarget, RouterRequest } from '../common/proxy-context';
import { RouterConfigService } from '../config/router-config.service';
import { chatInput } from '../messages/count-tokens';
import { TokenCounterService } from '../messages/token-counter.service';
import { ProxyContextParam } from '../routing/proxy-context.param';
import { KeyLimited } from '../routing/proxy-endpoint.metadata';
import { pathModel, PATH_MODEL_PARAM } from '../routing/path-model';
import { RoutingService } from '../routing/routing.service';
import { isObject } from '../common/json';
import { geminiBridge, geminiEmbedBridge } from './gemini-bridge';
import { nativeGeminiPath } from './gemini-native-path';
import { geminiToChat } from './gemini-request';
import { geminiPaths, GeminiRoute, type GeminiMethod } from './gemini-route.decorator';

type BridgeFactory = (ctx: ProxyContext, targets: readonly RouteTarget[]) => AnswerBridge;

/** Google's Gemini API (Gemini CLI, the Gen AI SDK): native for "gemini" backends, bridged for the others. */
@Controller()
export class GeminiController {
  constructor(
    private readonly routing: RoutingService,
    private readonly backendClient: BackendClientService,
    private readonly catalog: ModelCatalogService,
    private readonly configService: RouterConfigService,
    private readonly tokenCounter: TokenCounterService,
  ) {}

  @GeminiRoute('generateContent')
  generateContent(@ProxyContextParam() ctx: ProxyContext, @Req() req: RouterRequest, @Res() res: Response): Promise<void> {
    ctx.stream = false; // the method says it, not a `stream` field of the body
    return this.forward(ctx, req, res, 'generateContent', geminiBridge);
  }

  @GeminiRoute('streamGenerateContent')
  streamGenerateContent(@ProxyContextParam() ctx: ProxyContext, @Req() req: RouterRequest, @Res() res: Response): Promise<void> {
    ctx.stream = true;
    return this.forward(ctx, req, res, 'streamGenerateContent', geminiBridge);
  }

  @GeminiRoute('batchEmbedContents')
  batchEmbedContents(@ProxyContextParam() ctx: ProxyContext, @Req() req: RouterRequest, @Res() res: Response): Promise<void> {
    return this.forward(ctx, req, res, 'batchEmbedContents', (c, targets) => geminiEmbedBridge(c, targets, true));
  }

  @GeminiRoute('embedContent')
  embedContent(@ProxyContextParam() ctx: ProxyContext, @Req() req: RouterRequest, @Res() res: Response): Promise<void> {
    return this.forward(ctx, req, res, 'embedContent', (c, targets) => geminiEmbedBridge(c, targets, false));
  }

  /** Answered here, without a backend: the same bounded estimate as the Messages count_tokens, within the key's allow-list and limits. */
  @Post(geminiPaths('countTokens'))
  @KeyLimited()
  @HttpCode(200)
  async countTokens(@Req() req: RouterRequest, @Body() body: unknown): Promise<{ totalTokens: number }> {
    if (!isObject(body)) throw badRequest('The request body must be a JSON object.', 'invalid_body');
    // The SDK may wrap the request: {"generateContentRequest": {model, contents, …}}.
    const request = isObject(body.generateContentRequest) ? body.generateContentRequest : body;
    // geminiToChat checks the depth itself; what chatInput walks is what it built (schemas at most 64 deep).
    const input = chatInput(geminiToChat({ ...request, model: pathModel(req) }, false));
    return { totalTokens: input.tokens + (await this.tokenCounter.count(input.texts)) };
  }

  @Get(['v1beta/models'])
  @KeyLimited()
  async listModels(@Req() req: RouterRequest): Promise<{ models: Record<string, unknown>[] }> {
    const models = await this.catalog.list(this.configService.current);
    return { models: models.filter((m) => req.clientKey?.allowsModel(m.id)).map(geminiModel) };
  }

  /** One model; on /v1 and bare paths OpenAI's retrieve shape, unless a Gemini client (x-goog-api-key) asks. */
  @KeyLimited()
  @Get([`v1beta/models/*${PATH_MODEL_PARAM}`, `v1/models/*${PATH_MODEL_PARAM}`, `models/*${PATH_MODEL_PARAM}`])
  async getModel(@Req() req: RouterRequest): Promise<object> {
    const id = modelIdOf(pathModel(req) ?? '');
    const models = await this.catalog.list(this.configService.current);
    const found = models.find((m) => m.id === id && req.clientKey?.allowsModel(m.id));
    if (!found) throw new OpenAIError(404, 'model_not_found', `models/${id} is not found. GET /v1beta/models lists the models this key may use.`);
    const google = req.originalUrl.startsWith('/v1beta/') || isGoogleModelsRequest(req);
    return google ? geminiModel(found) : found;
  }

  /** Native for "gemini" backends (the same method and query), through `bridge` for the others. */
  private forward(ctx: ProxyContext, req: RouterRequest, res: Response, method: GeminiMethod, bridge: BridgeFactory): Promise<void> {
    const targets = this.routing.route(ctx);
    ctx.nativePath = nativeGeminiPath(method, req.originalUrl);
    ctx.bridge = bridge(ctx, targets);
    return this.backendClient.forward(ctx, targets, req, res);
  }
}
