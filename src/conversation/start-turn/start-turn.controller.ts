import { Body, Controller, Headers, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { FastifyReply } from 'fastify';
import { ProjectIdPipe } from '../../http/validation.js';
import { answer, commandContext, type CommandHeaders, only } from '../http/command-http.js';
import { type Message } from '../message.js';
import { StartTurn } from './start-turn.command.js';
import { StartTurnBody } from './start-turn.dto.js';

@Controller('v1/projects/:projectId')
export class StartTurnController {
  constructor(private readonly commands: CommandBus) {}

  @Post('turns')
  async startTurn(
    @Param('projectId', ProjectIdPipe) projectId: string,
    @Body() body: StartTurnBody,
    @Headers() headers: CommandHeaders,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ user: Message; assistant: Message; revision: number }> {
    const outcome = await this.commands.execute(new StartTurn(projectId, body, commandContext(headers)));
    const [user, assistant] = outcome.messages;
    answer(reply, outcome);
    return { user: only(user), assistant: only(assistant), revision: only(assistant).sequence };
  }
}
