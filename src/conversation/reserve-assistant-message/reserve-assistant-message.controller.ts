import { Body, Controller, Param, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiCommand, ApiProject } from '../../http/openapi.decorators.js';
import { ProjectIdPipe } from '../../http/validation.js';
import { answerCreated, commandContext } from '../http/command-http.js';
import { MessageSchema } from '../message.schema.js';
import { type Message } from '../message.js';
import { ReserveAssistantMessage } from './reserve-assistant-message.command.js';
import { ReserveAssistantMessageBody } from './reserve-assistant-message.dto.js';
import { RefusesErasedProjects } from '../../erasure/erased-project.guard.js';

@ApiProject('commands')
@RefusesErasedProjects()
@Controller('v1/projects/:projectId')
export class ReserveAssistantMessageController {
  constructor(private readonly commands: CommandBus) {}

  @Post('assistant-messages')
  @ApiCommand({
    created: { type: MessageSchema, description: 'Appended AssistantReserved: the message, `pending`' },
    ok: { type: MessageSchema, description: 'A retry: the same id was already reserved' },
    problems: [409, 422],
  })
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
