import { Body, Controller, Param, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProjectIdPipe } from '../../http/validation.js';
import { answerCreated, commandContext } from '../http/command-http.js';
import { type Message } from '../message.js';
import { ReserveAssistantMessage } from './reserve-assistant-message.command.js';
import { ReserveAssistantMessageBody } from './reserve-assistant-message.dto.js';

@Controller('v1/projects/:projectId')
export class ReserveAssistantMessageController {
  constructor(private readonly commands: CommandBus) {}

  @Post('assistant-messages')
  async reserveAssistantMessage(
    @Param('projectId', ProjectIdPipe) projectId: string,
    @Body() body: ReserveAssistantMessageBody,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Message> {
    const command = new ReserveAssistantMessage(projectId, body, commandContext(request));
    return answerCreated(reply, await this.commands.execute(command), projectId);
  }
}
