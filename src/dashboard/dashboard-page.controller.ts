import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../auth/public.decorator';
import { OpenAIError } from '../common/openai-error';

interface StaticFile {
  type: string;
  body: Buffer;
}

// The page's own files (copied next to this file into dist by nest-cli.json's assets) and uPlot from
// node_modules: all served by the router itself, nothing from a CDN.
const PUBLIC_DIR = join(__dirname, 'public');
const UPLOT_DIR = join(require.resolve('uplot/package.json'), '..', 'dist');
const SOURCES: Record<string, [string, string]> = {
  'index.html': [join(PUBLIC_DIR, 'index.html'), 'text/html; charset=utf-8'],
  'app.js': [join(PUBLIC_DIR, 'app.js'), 'text/javascript; charset=utf-8'],
  'views.js': [join(PUBLIC_DIR, 'views.js'), 'text/javascript; charset=utf-8'],
  'charts.js': [join(PUBLIC_DIR, 'charts.js'), 'text/javascript; charset=utf-8'],
  'app.css': [join(PUBLIC_DIR, 'app.css'), 'text/css; charset=utf-8'],
  'uPlot.iife.min.js': [join(UPLOT_DIR, 'uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
  'uPlot.min.css': [join(UPLOT_DIR, 'uPlot.min.css'), 'text/css; charset=utf-8'],
};

/** The page: only files from this fixed list, with no data in them, so they need no key. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

@Controller('ui')
export class DashboardPageController {
  // Read once at startup: a few small files, and a missing one fails the start rather than a page load.
  private readonly files = new Map<string, StaticFile>(
    Object.entries(SOURCES).map(([name, [path, type]]) => [name, { type, body: readFileSync(path) }]),
  );

  @Public()
  @Get()
  index(@Res() res: Response): void {
    this.send(res, 'index.html');
  }

  @Public()
  @Get(':file')
  file(@Param('file') name: string, @Res() res: Response): void {
    this.send(res, name);
  }

  private send(res: Response, name: string): void {
    const file = this.files.get(name);
    if (!file) throw new OpenAIError(404, 'not_found', 'No such dashboard file.');
    res.set(SECURITY_HEADERS);
    res.type(file.type);
    res.end(file.body);
  }
}
