import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { type MessageKind } from './conversation.events.js';
import { type Message } from './message.js';

/** The Message resource as the OpenAPI document describes it; `implements` keeps it in step with `Message`. */
@ApiSchema({ name: 'Message' })
export class MessageSchema implements Message {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'p-42' }) projectId!: string;
  @ApiProperty({ type: 'integer', description: 'The revision of the event that created the message' })
  sequence!: number;
  @ApiProperty({ enum: ['user', 'assistant'] }) role!: 'user' | 'assistant';
  @ApiProperty({
    enum: ['message', 'status'],
    description: '`status` only on history imported from the legacy table',
  })
  kind!: MessageKind;
  @ApiProperty({ enum: ['success', 'pending', 'error'] }) status!: 'success' | 'pending' | 'error';
  @ApiProperty() content!: string;
  @ApiProperty({ type: [String] }) imageUrls!: string[];
  @ApiProperty({ type: 'string', format: 'uuid', nullable: true }) replyTo!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) updatedAt!: string | null;
  @ApiProperty({
    type: 'string',
    nullable: true,
    description: 'The authenticated subject; null with auth off',
  })
  createdBy!: string | null;
  @ApiProperty({ type: 'integer', description: 'The revision of the last event that changed the message' })
  revision!: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'What the client attached on creation, with the completion’s merged over it; `{}` when none',
  })
  metadata!: Record<string, unknown>;
}
