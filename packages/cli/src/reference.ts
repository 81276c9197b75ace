import type { Command, Option } from 'commander';
import { EXIT_CODE_DESCRIPTIONS, ExitCode } from './ExitCode.js';
import { createProgram } from './program.js';

function usage(command: Command, path: string): string {
  const args = command.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`));
  return [path, ...args, command.options.length ? '[options]' : ''].filter(Boolean).join(' ');
}

function optionRow(option: Option): string {
  const extra = option.defaultValueDescription ?? (option.defaultValue !== undefined && !option.negate ? JSON.stringify(option.defaultValue) : undefined);
  const required = option.mandatory ? ' (required)' : '';
  return `| \`${option.flags}\` | ${option.description.replace(/\|/g, '\\|')}${required}${extra !== undefined ? ` (default: ${extra})` : ''} |`;
}

function section(command: Command, path: string, out: string[]): void {
  const subcommands = command.commands;
  if (subcommands.length > 0 && command.registeredArguments.length === 0 && command.options.length === 0 && path !== 'authmanager') {
    for (const sub of subcommands) section(sub, `${path} ${sub.name()}`, out);
    return;
  }
  if (path !== 'authmanager') {
    out.push(`### \`${path}\``, '');
    if (command.aliases().length) out.push(`Alias: ${command.aliases().map((a) => `\`${path.replace(/\S+$/, a)}\``).join(', ')}.`, '');
    out.push(command.description(), '', '```', usage(command, path), '```', '');
    if (command.registeredArguments.length) {
      out.push('| argument | |', '| --- | --- |');
      for (const a of command.registeredArguments) out.push(`| \`${a.name()}\` | ${a.description} |`);
      out.push('');
    }
    if (command.options.length) {
      out.push('| option | |', '| --- | --- |');
      for (const o of command.options) out.push(optionRow(o));
      out.push('');
    }
  }
  for (const sub of subcommands) section(sub, `${path} ${sub.name()}`, out);
}

/**
 * The CLI reference in Markdown, generated from the commander definitions and {@link ExitCode}:
 * global options, every command with its arguments and options, the exit codes. docs/cli.md holds
 * it between `<!-- reference:start -->` and `<!-- reference:end -->`; a test fails when they differ.
 * @returns Markdown, ending with a newline
 */
export function renderReference(): string {
  const program = createProgram(async () => {});
  const out: string[] = ['## Global options', '', '| option | |', '| --- | --- |'];
  for (const o of program.options) out.push(optionRow(o));
  out.push('', 'Global options go before or after the command: `authmanager --json list` and `authmanager list --json` are the same.', '', '## Commands', '');
  section(program, 'authmanager', out);
  out.push('## Exit codes', '', '| code | name | meaning |', '| --- | --- | --- |');
  for (const [name, code] of Object.entries(ExitCode)) out.push(`| ${code} | \`${name}\` | ${EXIT_CODE_DESCRIPTIONS[code]} |`);
  return `${out.join('\n')}\n`;
}
