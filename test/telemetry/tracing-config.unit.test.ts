// How the OTEL_* variables are read (spec 7.3), without a network: the
// endpoint rules of the OTLP exporter specification, protocol and headers,
// and the sampler choice.

import { expect } from 'chai';
import { exporterSettings, samplerFrom, tracingConfigured } from '../../src/telemetry/tracing.ts';

describe('tracing configuration from OTEL_* variables', () => {
  it('is on only with an OTLP endpoint (generic or traces)', () => {
    expect(tracingConfigured({})).to.equal(false);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).to.equal(false);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).to.equal(true);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).to.equal(true);
    expect(tracingConfigured({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' })).to.equal(false);
  });

  it('appends /v1/traces to the generic endpoint, uses the traces endpoint as is', () => {
    expect(exporterSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).url).to.equal('http://c:4318/v1/traces');
    expect(exporterSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/base/' }).url).to.equal('http://c:4318/base/v1/traces');
    expect(exporterSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:9/x' }).url).to.equal('http://t:9/x');
  });

  it('defaults to http/protobuf, takes http/json, refuses grpc (not an HTTP transport)', () => {
    expect(exporterSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c' }).protocol).to.equal('http/protobuf');
    expect(exporterSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).protocol).to.equal('http/json');
    expect(exporterSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }).protocol).to.equal('http/protobuf');
    expect(() => exporterSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).to.throw(/grpc/);
  });

  it('reads headers as URL-encoded key=value pairs; traces headers win', () => {
    const s = exporterSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_HEADERS: 'a=1,b=two%20words', OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'a=3' });
    expect(s.headers).to.deep.equal({ a: '3', b: 'two words' });
  });

  it('samples by settings.tracing.sample_ratio unless OTEL_TRACES_SAMPLER says otherwise', () => {
    let ratio = 1;
    const sampler = samplerFrom({}, () => ratio);
    expect(sampler.toString()).to.include('SettingsRatioSampler');
    expect(samplerFrom({ OTEL_TRACES_SAMPLER: 'always_off' }, () => ratio).toString()).to.equal('AlwaysOffSampler');
    expect(samplerFrom({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }, () => ratio).toString()).to.include('0.25');
    expect(() => samplerFrom({ OTEL_TRACES_SAMPLER: 'jaeger_remote' }, () => ratio)).to.throw(/not supported/);
    ratio = 0;
    expect(sampler.toString()).to.include('{0}');
  });
});
