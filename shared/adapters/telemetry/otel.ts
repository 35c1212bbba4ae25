import { metrics } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ConsoleMetricExporter, MeterProvider, PeriodicExportingMetricReader, type MetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ManagedIdentityCredential } from '@azure/identity';
import { z } from 'zod';

/**
 * OpenTelemetry for the Function app, the worker and the local stack. In Azure, with
 * APPLICATIONINSIGHTS_CONNECTION_STRING set, @azure/monitor-opentelemetry sends traces, metrics and
 * logs to Application Insights. Elsewhere: OTLP over HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set,
 * the console when BYSTANDER_TELEMETRY=console, nothing otherwise (tests add their own processors).
 */
const TelemetrySettingsSchema = z.object({
  APPLICATIONINSIGHTS_CONNECTION_STRING: z.string().min(1).optional(),
  /** `ClientId=<managed identity>;Authorization=AAD`: Entra ID ingestion (the stamp disables local auth). */
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: z.string().regex(/^ClientId=[0-9a-fA-F-]{36};Authorization=AAD$/, 'ClientId=<guid>;Authorization=AAD').optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  BYSTANDER_TELEMETRY: z.enum(['off', 'console', 'otlp']).optional(),
  /** Metric export interval, ms (console and OTLP). */
  BYSTANDER_METRICS_INTERVAL_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
});

export interface Telemetry {
  /** What it exports to: azure-monitor, otlp, console, or none. */
  exporter: 'azure-monitor' | 'otlp' | 'console' | 'none';
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export async function startTelemetry(options: {
  serviceName: string;
  env?: Record<string, string | undefined>;
  /** Extra span processors and metric readers (tests: in-memory exporters). */
  spanProcessors?: SpanProcessor[];
  metricReaders?: MetricReader[];
}): Promise<Telemetry> {
  const parsed = TelemetrySettingsSchema.safeParse(options.env ?? process.env);
  if (!parsed.success) {
    throw new Error(`Bystander cannot start: invalid telemetry settings\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  const s = parsed.data;
  if (s.APPLICATIONINSIGHTS_CONNECTION_STRING && s.BYSTANDER_TELEMETRY !== 'off') {
    // Loaded only here: it needs Node 22 (the Function app's and the worker image's runtime).
    const monitor = await import('@azure/monitor-opentelemetry');
    const clientId = /ClientId=([^;]+)/.exec(s.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? '')?.[1];
    monitor.useAzureMonitor({
      azureMonitorExporterOptions: {
        connectionString: s.APPLICATIONINSIGHTS_CONNECTION_STRING,
        ...(clientId ? { credential: new ManagedIdentityCredential({ clientId }) } : {}),
      },
      resource: resourceFromAttributes({ 'service.name': options.serviceName }),
      ...(options.spanProcessors ? { spanProcessors: options.spanProcessors } : {}),
      ...(options.metricReaders ? { metricReaders: options.metricReaders } : {}),
    });
    return { exporter: 'azure-monitor', flush: async () => undefined, shutdown: () => monitor.shutdownAzureMonitor() };
  }

  const mode = s.BYSTANDER_TELEMETRY ?? (s.OTEL_EXPORTER_OTLP_ENDPOINT ? 'otlp' : 'off');
  const spanProcessors = [...(options.spanProcessors ?? [])];
  const metricReaders = [...(options.metricReaders ?? [])];
  if (mode === 'otlp') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-http');
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
    metricReaders.push(new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), exportIntervalMillis: s.BYSTANDER_METRICS_INTERVAL_MS }));
  } else if (mode === 'console') {
    spanProcessors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
    metricReaders.push(new PeriodicExportingMetricReader({ exporter: new ConsoleMetricExporter(), exportIntervalMillis: s.BYSTANDER_METRICS_INTERVAL_MS }));
  }
  const resource = resourceFromAttributes({ 'service.name': options.serviceName });
  const tracerProvider = new NodeTracerProvider({ resource, spanProcessors });
  tracerProvider.register();
  const meterProvider = new MeterProvider({ resource, readers: metricReaders });
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    exporter: mode === 'off' ? 'none' : mode,
    flush: async () => {
      await tracerProvider.forceFlush();
      await meterProvider.forceFlush();
    },
    shutdown: async () => {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}
