import { describe, expect, it } from 'vitest';
import { detectMonitor, mapMonitorAlert, mapNagiosNotification, mapZabbixAlert } from './monitors.js';

// As Zabbix's generic webhook templates send them: macro values under snake_case names.
const ZABBIX_PROBLEM = {
  event_id: '4711',
  trigger_id: '23',
  trigger_name: 'High CPU utilization (over 90% for 5m)',
  host: 'web-01',
  host_ip: '192.0.2.10',
  severity: 'High',
  status: 'PROBLEM',
  message: 'Problem started at 10:20:30 on 2030.01.01',
};

// A Nagios notification command posting its macros as JSON.
const NAGIOS_SERVICE = {
  NOTIFICATIONTYPE: 'PROBLEM',
  HOSTNAME: 'db-02',
  HOSTADDRESS: '2001:db8::2',
  SERVICEDESC: 'PostgreSQL connections',
  SERVICESTATE: 'CRITICAL',
  OUTPUT: 'CRITICAL - 498 of 500 connections used',
  TIMET: '1893456000',
};

describe('detectMonitor', () => {
  it('recognises Zabbix and Nagios/Icinga payloads by their combination of fields', () => {
    expect(detectMonitor(ZABBIX_PROBLEM)).toBe('zabbix');
    expect(detectMonitor({ eventid: 1, trigger: 'Disk full', hostname: 'h', status: 'RESOLVED' })).toBe('zabbix');
    expect(detectMonitor(NAGIOS_SERVICE)).toBe('nagios');
    expect(detectMonitor({ host_name: 'h', service_description: 'HTTP', state: 'WARNING' })).toBe('nagios');
    expect(detectMonitor({ HOSTNAME: 'h', HOSTSTATE: 'DOWN', NOTIFICATIONTYPE: 'PROBLEM', OUTPUT: 'PING CRITICAL' })).toBe('nagios');
  });

  it('leaves ECS events and other records alone', () => {
    expect(detectMonitor({ '@timestamp': '2030-01-01T00:00:00Z', message: 'x', host: { name: 'h' }, event: { severity: 3 } })).toBeUndefined();
    expect(detectMonitor({ host: 'h', severity: 'high', status: 'ok' })).toBeUndefined();
    expect(detectMonitor({ host_name: 'h', state: 'ok' })).toBeUndefined();
    expect(detectMonitor({ event_id: { nested: 1 }, trigger_name: 't', host: 'h', status: 'PROBLEM' })).toBeUndefined();
    expect(mapMonitorAlert({ message: 'hello' }, '{"message":"hello"}')).toBeUndefined();
  });
});

describe('mapZabbixAlert', () => {
  it('maps a problem to an ECS alert with the trigger as rule and Zabbix’s severity number', () => {
    const original = JSON.stringify(ZABBIX_PROBLEM);
    expect(mapZabbixAlert(ZABBIX_PROBLEM, original)).toEqual({
      message: 'Problem started at 10:20:30 on 2030.01.01',
      ecs: { version: expect.any(String) },
      event: { kind: 'alert', module: 'zabbix', dataset: 'zabbix.alert', action: 'problem', severity: 4, code: '4711', original },
      host: { name: 'web-01', ip: ['192.0.2.10'] },
      rule: { name: 'High CPU utilization (over 90% for 5m)', id: '23', ruleset: 'zabbix' },
      observer: { vendor: 'Zabbix', product: 'Zabbix', type: 'monitoring' },
    });
  });

  it('reads numeric severities, recovery by event_value, builds a message when none is sent, and keeps a sent @timestamp', () => {
    const alert = mapZabbixAlert(
      { eventid: 9, event_name: 'Disk /var is full', hostname: 'web-02', event_nseverity: '5', event_value: '0', '@timestamp': '2030-01-01T10:00:00Z' },
      '{}',
    );
    expect(alert['@timestamp']).toBe('2030-01-01T10:00:00Z');
    expect(alert.event).toMatchObject({ kind: 'alert', severity: 5, action: 'resolved' });
    expect(alert.message).toBe('Disk /var is full on web-02');
    expect(alert.host).toEqual({ name: 'web-02' });
  });

  it('maps every Zabbix severity name and drops one it does not know', () => {
    const severity = (name: string) => mapZabbixAlert({ event_id: 1, trigger: 't', host: 'h', severity: name }, '{}').event?.severity;
    expect(['Not classified', 'Information', 'Warning', 'Average', 'High', 'Disaster'].map(severity)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(severity('apocalyptic')).toBeUndefined();
  });
});

describe('mapNagiosNotification', () => {
  it('maps a service notification: service as rule, plugin state as severity, epoch seconds as @timestamp', () => {
    const original = JSON.stringify(NAGIOS_SERVICE);
    expect(mapNagiosNotification(NAGIOS_SERVICE, original)).toEqual({
      '@timestamp': '2030-01-01T00:00:00.000Z',
      message: 'PROBLEM: db-02/PostgreSQL connections is CRITICAL: CRITICAL - 498 of 500 connections used',
      ecs: { version: expect.any(String) },
      event: { kind: 'alert', module: 'nagios', dataset: 'nagios.notification', action: 'problem', severity: 2, original },
      host: { name: 'db-02', ip: ['2001:db8::2'] },
      service: { name: 'PostgreSQL connections' },
      rule: { name: 'PostgreSQL connections', ruleset: 'nagios' },
      observer: { type: 'monitoring' },
    });
  });

  it('maps a host notification with host states, and Icinga-style snake_case names', () => {
    const host = mapNagiosNotification({ HOSTNAME: 'gw', HOSTSTATE: 'UNREACHABLE', NOTIFICATIONTYPE: 'PROBLEM', HOSTOUTPUT: 'timeout' }, '{}');
    expect(host.event?.severity).toBe(2);
    expect(host.rule?.name).toBe('host check');
    expect(host.service).toBeUndefined();
    const icinga = mapNagiosNotification({ host_name: 'h', service_description: 'HTTP', state: 'WARNING', notification_type: 'RECOVERY', output: 'slow' }, '{}');
    expect(icinga.event).toMatchObject({ severity: 1, action: 'recovery' });
    expect(icinga.message).toBe('RECOVERY: h/HTTP is WARNING: slow');
    expect(icinga.host).toEqual({ name: 'h' });
  });
});
