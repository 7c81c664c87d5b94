import { Body, Controller, Param, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiCommand, ApiProject } from '../../http/openapi.decorators.js';
import { ProjectIdPipe } from '../../http/validation.js';
import { answerCreated, commandContext } from '../http/command-http.js';
import { MessageSchema } from '../message.schema.js';
import { type Message } from '../message.js';
import { PostUserMessage } from './post-user-message.command.js';
import { PostUserMessageBody } from './post-user-message.dto.js';
import { RefusesErasedProjects } from '../../erasure/erased-project.guard.js';

@ApiProject('commands')
@RefusesErasedProjects()
@Controller('v1/projects/:projectId')
export class PostUserMessageController {
  constructor(private readonly commands: CommandBus) {}

  @Post('messages')
  @ApiCommand({
    created: { type: MessageSchema, description: 'Appended UserMessaged: the message' },
    ok: { type: MessageSchema, description: 'A retry: the same id and content were already created' },
    problems: [409],
  })
  async postUserMessage(
    @Param('projectId', ProjectIdPipe) projectId: string,
    @Body() body: PostUserMessageBody,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Message> {
    const outcome = await this.commands.execute(
      new PostUserMessage(projectId, body, commandContext(request)),
    );
    return answerCreated(reply, outcome, projectId);
  }
}
