import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, readConfig } from '../../../src/exports/config';
import { DEFAULT_CONFIG } from '../../../src/config/env';

describe('readConfig', () => {
  it('has safe defaults: embedded endpoint on loopback, workspace label off', () => {
    const { config, problems } = readConfig({});
    expect(problems).toEqual([]);
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(config.prometheus.host).toBe('127.0.0.1');
    expect(config.workspace.enabled).toBe(false);
  });

  it('reads the METRICS_* variables', () => {
    const { config, problems } = readConfig({
      METRICS_WORKSPACE_LABEL: 'on',
      METRICS_WORKSPACE_ALLOWLIST: ' Acme, globex ,acme,',
      METRICS_PORT: '9100',
      OTEL_METRICS_EXPORTER: 'prometheus,otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
      METRICS_WORKSPACE_SAMPLE_RATE: '0.25',
    });
    expect(problems).toEqual([]);
    expect(config.workspace).toMatchObject({ enabled: true, allowlist: ['acme', 'globex'], sampleRate: 0.25 });
    expect(config.prometheus.port).toBe(9100);
    expect(config.exporters).toEqual(['prometheus', 'otlp']);
    expect(config.otlp.protocol).toBe('grpc');
    expect(config.exportIntervalMillis).toBe(1000);
    expect(config.exportTimeoutMillis).toBe(1000);
  });

  it('lets METRICS_PORT win over OTEL_EXPORTER_PROMETHEUS_PORT, and either disable switch turn it off', () => {
    expect(readConfig({ METRICS_PORT: '9001', OTEL_EXPORTER_PROMETHEUS_PORT: '9002' }).config.prometheus.port).toBe(9001);
    expect(readConfig({ OTEL_EXPORTER_PROMETHEUS_PORT: '9002' }).config.prometheus.port).toBe(9002);
    expect(readConfig({ OTEL_SDK_DISABLED: 'true' }).config.enabled).toBe(false);
    expect(readConfig({ METRICS_ENABLED: 'false' }).config.enabled).toBe(false);
    expect(readConfig({ OTEL_METRICS_EXPORTER: 'none' }).config.exporters).toEqual([]);
  });

  it('OTEL_SDK_DISABLED: only true (any case) disables; false and everything else leave the kit on', () => {
    for (const value of ['true', 'TRUE', 'True', ' true ']) expect(readConfig({ OTEL_SDK_DISABLED: value }).config.enabled, value).toBe(false);
    for (const value of ['false', 'FALSE', '', '1', 'yes', 'on']) expect(readConfig({ OTEL_SDK_DISABLED: value }).config.enabled, value).toBe(true);
    expect(readConfig({ OTEL_SDK_DISABLED: 'False' }).problems).toEqual([]);
    expect(readConfig({ OTEL_SDK_DISABLED: '1' }).problems[0]).toMatch(/^OTEL_SDK_DISABLED="1" is invalid \(only true disables.*\); using false \(enabled\)$/);
  });

  it('OTEL_LOG_LEVEL: the specification levels, any case; unset leaves the diag logger alone', () => {
    expect(readConfig({}).config.logLevel).toBeUndefined();
    for (const level of ['NONE', 'error', 'Warn', 'info', 'DEBUG', 'verbose', 'all']) expect(readConfig({ OTEL_LOG_LEVEL: level }).config.logLevel).toBe(level.toLowerCase());
    expect(readConfig({ OTEL_LOG_LEVEL: 'loud' }).config.logLevel).toBe('info');
  });

  it('OTEL_METRICS_EXPORTER=console selects the console exporter, alone or with others', () => {
    expect(readConfig({ OTEL_METRICS_EXPORTER: 'console' }).config.exporters).toEqual(['console']);
    expect(readConfig({ OTEL_METRICS_EXPORTER: 'prometheus, Console' }).config.exporters).toEqual(['prometheus', 'console']);
  });

  const malformed: Record<string, string[]> = {
    METRICS_ENABLED: ['maybe'],
    OTEL_SDK_DISABLED: ['yes please', '1', 'on'],
    OTEL_METRICS_EXPORTER: ['zipkin', 'prometheus,carrier-pigeon'],
    METRICS_HOST: ['bad host!'],
    METRICS_PORT: ['-1', '70000', 'abc', '9464.5'],
    OTEL_EXPORTER_PROMETHEUS_HOST: ['a b'],
    OTEL_EXPORTER_PROMETHEUS_PORT: ['0'],
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: ['carrier'],
    OTEL_EXPORTER_OTLP_PROTOCOL: ['http'],
    OTEL_METRIC_EXPORT_INTERVAL: ['soon', '5'],
    OTEL_METRIC_EXPORT_TIMEOUT: ['never'],
    METRICS_OTLP_MAX_REQUEST_BYTES: ['0', '16383', '1073741825', '4MiB'],
    METRICS_WORKSPACE_LABEL: ['sometimes'],
    METRICS_WORKSPACE_LABEL_NAME: ['workspace-id', '__reserved', '1abc'],
    METRICS_WORKSPACE_ALLOWLIST: ['acme,Bad Id!,globex'],
    METRICS_WORKSPACE_ALLOWLIST_POLL_INTERVAL: ['0', '90000', '1.5', 'often'],
    METRICS_WORKSPACE_SAMPLE_RATE: ['2', '-0.1', 'half'],
    METRICS_WORKSPACE_POLICY: ['lenient'],
    METRICS_WORKSPACE_PASSTHROUGH_LIMIT: ['-1', '1000001', 'many'],
    METRICS_COLLECTOR_INTERVAL: ['0', 'fast'],
    METRICS_RECORDING_PATH: ['turbo', 'sdk'],
    METRICS_SCRAPE_CACHE_MS: ['-5', '60001', 'soon'],
    METRICS_TLS_CERT_FILE: ['/only/the/cert.pem'],
    METRICS_TLS_KEY_FILE: ['/only/the/key.pem'],
    METRICS_TLS_RELOAD_INTERVAL: ['0', 'hourly'],
    METRICS_BEARER_TOKEN: ['two words', 'tab\there'],
    METRICS_BASIC_AUTH_USERNAME: ['prometheus'],
    METRICS_BASIC_AUTH_PASSWORD: ['no-username'],
    METRICS_BASIC_AUTH_PASSWORD_FILE: ['/run/secrets/pw'],
    OTEL_LOG_LEVEL: ['loud', '3'],
    METRICS_RUNTIME: ['partly'],
    OTEL_NODE_RESOURCE_DETECTORS: ['gcp', 'host,kubernetes'],
  };

  it('covers every config variable except the file path with malformed values', () => {
    const covered = new Set(Object.keys(malformed));
    expect(CONFIG_VARIABLES.filter((name) => !covered.has(name))).toEqual(['METRICS_BEARER_TOKEN_FILE', 'METRICS_WORKSPACE_ALLOWLIST_FILE']);
  });

  it('reads the endpoint security settings; half-configured TLS turns the endpoint off, never to plain text', () => {
    const { config, problems } = readConfig({
      METRICS_TLS_CERT_FILE: '/tls/cert.pem',
      METRICS_TLS_KEY_FILE: '/tls/key.pem',
      METRICS_TLS_RELOAD_INTERVAL: '5',
      METRICS_BEARER_TOKEN_FILE: '/run/token',
      METRICS_BASIC_AUTH_USERNAME: 'prom',
      METRICS_BASIC_AUTH_PASSWORD: 's3cret!',
      METRICS_SCRAPE_CACHE_MS: '250',
    });
    expect(problems).toEqual([]);
    expect(config.prometheus).toEqual({
      host: '127.0.0.1',
      port: 9464,
      scrapeCacheMillis: 250,
      tls: { certFile: '/tls/cert.pem', keyFile: '/tls/key.pem', reloadMillis: 5_000 },
      auth: { bearerToken: undefined, bearerTokenFile: '/run/token', basicUsername: 'prom', basicPassword: 's3cret!', basicPasswordFile: undefined },
    });
    expect(readConfig({ METRICS_TLS_KEY_FILE: '/tls/key.pem' }).config.prometheus.tls).toBe('off');
    expect(readConfig({}).config.prometheus).toMatchObject({ scrapeCacheMillis: 0, tls: undefined, auth: {} });
  });

  it('never shows a credential in a problem line', () => {
    for (const env of [{ METRICS_BEARER_TOKEN: 'SECRET-1 x' }, { METRICS_BASIC_AUTH_PASSWORD: 'SECRET-2' }, { METRICS_BASIC_AUTH_USERNAME: 'u', METRICS_BASIC_AUTH_PASSWORD: 'SECRET 3' }]) {
      const { problems } = readConfig(env);
      expect(problems.length, JSON.stringify(Object.keys(env))).toBeGreaterThan(0);
      expect(problems.join('\n')).not.toContain('SECRET');
    }
  });

  for (const [name, values] of Object.entries(malformed)) {
    for (const value of values) {
      it(`${name}=${JSON.stringify(value)} gives one line naming the variable and the fallback`, () => {
        const { config, problems } = readConfig({ [name]: value });
        expect(problems).toHaveLength(1);
        expect(problems[0]).toContain(name);
        expect(problems[0]).toMatch(/using |skipping /);
        expect(problems[0]).not.toContain('\n');
        expect(config).toBeDefined();
      });
    }
  }

  it('keeps the good allowlist entries when some are malformed', () => {
    const { config } = readConfig({ METRICS_WORKSPACE_ALLOWLIST: 'acme,Bad Id!,globex' });
    expect(config.workspace.allowlist).toEqual(['acme', 'globex']);
  });

  it('METRICS_RUNTIME and OTEL_NODE_RESOURCE_DETECTORS', () => {
    expect(readConfig({}).config.runtimeMetrics).toBe(true);
    expect(readConfig({ METRICS_RUNTIME: 'off' }).config.runtimeMetrics).toBe(false);
    expect(readConfig({}).config.resourceDetectors).toEqual(['env', 'host', 'os', 'process', 'serviceinstance']);
    expect(readConfig({ OTEL_NODE_RESOURCE_DETECTORS: 'none' }).config.resourceDetectors).toEqual([]);
    expect(readConfig({ OTEL_NODE_RESOURCE_DETECTORS: 'env, OS ,env' }).config.resourceDetectors).toEqual(['env', 'os']);
    expect(readConfig({ OTEL_NODE_RESOURCE_DETECTORS: 'all' }).config.resourceDetectors).toEqual(['env', 'host', 'os', 'process', 'serviceinstance']);
    const partly = readConfig({ OTEL_NODE_RESOURCE_DETECTORS: 'host,kubernetes' });
    expect(partly.config.resourceDetectors).toEqual(['host']);
    expect(partly.problems).toEqual(['OTEL_NODE_RESOURCE_DETECTORS="kubernetes" is invalid (expected env, host, os, process, serviceinstance, all or none); using host']);
  });
});
