import { Body, Controller, Param, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProjectIdPipe } from '../../http/validation.js';
import { answer, commandContext, only } from '../http/command-http.js';
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
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ user: Message; assistant: Message; revision: number }> {
    const outcome = await this.commands.execute(new StartTurn(projectId, body, commandContext(request)));
    const [user, assistant] = outcome.messages;
    answer(reply, outcome);
    return { user: only(user), assistant: only(assistant), revision: only(assistant).sequence };
  }
}
