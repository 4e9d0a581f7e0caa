// `--axes` parsing (every problem at once, in the house's words) and the
// enumeration of cells.
import { describe, expect, it } from 'vitest';
import { cellId, DEFAULT_AXES, describeCell, enumerateCells, formatAxes, parseAxes } from '../../../src/core/matrix/axes.ts';

describe('parseAxes', () => {
  it('keeps the defaults for axes not named', () => {
    const { axes, errors } = parseAxes(['vhost=off', 'condition=plain,qos']);
    expect(errors).toEqual([]);
    expect(axes).toEqual({ ...DEFAULT_AXES, vhost: ['off'], condition: ['plain', 'qos'] });
  });

  it('reads one quoted word with several axes like several words', () => {
    expect(parseAxes(['vhost=on topology=guest-to-guest nic=plain,vlans-macs']).axes).toEqual({
      ...DEFAULT_AXES,
      vhost: ['on'],
      topology: ['guest-to-guest'],
      nic: ['plain', 'vlans-macs'],
    });
  });

  it('with no words gives the seed matrix: vhost on/off × plain/hotplug/qos/migration × host-/external-to-guest', () => {
    const { axes, errors } = parseAxes([]);
    expect(errors).toEqual([]);
    expect(formatAxes(axes)).toBe('vhost=on,off condition=plain,hotplug,qos,migration topology=host-to-guest,external-to-guest nic=plain');
    expect(enumerateCells(axes)).toHaveLength(16);
  });

  it.each([
    [['vhost'], 'expected name=value,value (e.g. vhost=on,off condition=plain,hotplug topology=host-to-guest), got "vhost"'],
    [['speed=fast'], 'expected an axis named vhost, condition, topology, nic, got "speed"'],
    [['vhost=maybe'], '--axes: vhost: expected one of on, off, got "maybe"'],
    [['condition=plain,,qos'], '--axes: condition: expected a comma-separated list of plain, migration, hotplug, qos, got "plain,,qos"'],
    [['topology='], '--axes: topology: expected a comma-separated list of'],
    [['vhost=on,on'], '--axes: vhost: expected distinct values, got "on" more than once'],
    [['vhost=on', 'vhost=off'], '--axes: axis vhost is given twice'],
  ])('refuses %j: %s', (words, message) => {
    const { errors } = parseAxes(words);
    expect(errors.join('\n')).toContain(message);
  });

  it('reports every problem at once and keeps the default of a refused axis', () => {
    const { axes, errors } = parseAxes(['vhost=maybe', 'topology=sideways', 'condition=qos']);
    expect(errors).toHaveLength(2);
    expect(axes.vhost).toEqual(DEFAULT_AXES.vhost);
    expect(axes.condition).toEqual(['qos']);
  });
});

describe('enumerateCells', () => {
  it('makes every combination once, vhost outermost, with unique ids', () => {
    const cells = enumerateCells({ vhost: ['on', 'off'], condition: ['plain', 'hotplug'], topology: ['host-to-guest'], nic: ['plain', 'vlans-macs'] });
    expect(cells.map((c) => c.id)).toEqual([
      'vhost-on.plain.host-to-guest',
      'vhost-on.plain.host-to-guest.vlans-macs',
      'vhost-on.hotplug.host-to-guest',
      'vhost-on.hotplug.host-to-guest.vlans-macs',
      'vhost-off.plain.host-to-guest',
      'vhost-off.plain.host-to-guest.vlans-macs',
      'vhost-off.hotplug.host-to-guest',
      'vhost-off.hotplug.host-to-guest.vlans-macs',
    ]);
    expect(describeCell(cells[1]!)).toBe('vhost=on plain host-to-guest vlans-macs');
  });

  it('gives ids that are valid in profile names (matrix.<id>, at most 64 characters)', () => {
    const longest = cellId({ vhost: 'off', condition: 'migration', topology: 'guest-to-external', nic: 'vlans-macs' });
    expect(`matrix.${longest}`.length).toBeLessThanOrEqual(64);
    expect(`matrix.${longest}`).toMatch(/^[a-z0-9._-]+$/);
  });
});
