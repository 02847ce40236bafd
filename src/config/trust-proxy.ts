import express from 'express';

const EXPECTED = 'true/false, a number of proxy hops, or addresses/subnets such as "loopback, 10.0.0.0/8"';

/**
 * Why Express would refuse this `trust_proxy` value, or undefined when it accepts it. Checked by handing
 * it to a throwaway Express app, which compiles it the way the router's own app will (host names and
 * "true" as a string are not addresses), so a bad value fails at load time and never in a reload.
 */
export function trustProxyProblem(value: unknown): string | undefined {
  if (value === undefined || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 0 ? undefined : `trust_proxy: must be ${EXPECTED}`;
  }
  if (typeof value !== 'string' || value.trim() === '') return `trust_proxy: must be ${EXPECTED}`;
  if (value.trim() === 'true' || value.trim() === 'false') {
    return `trust_proxy: "${value}" is a string; write the JSON boolean ${value.trim()} without quotes`;
  }
  try {
    express().set('trust proxy', value);
    return undefined;
  } catch (err) {
    return `trust_proxy: "${value}" is not accepted (${(err as Error).message}); use ${EXPECTED}. Host names are not resolved: give IP addresses`;
  }
}
