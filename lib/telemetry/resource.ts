// What every span and metric says about the process: its service name, and whatever
// OTEL_RESOURCE_ATTRIBUTES adds (deployment.environment, service.version…), which wins.
import { envDetectorSync, Resource } from '@opentelemetry/resources';

export function serviceResource(serviceName: string): Resource {
  return new Resource({ 'service.name': serviceName }).merge(envDetectorSync.detect());
}
