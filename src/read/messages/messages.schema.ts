import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { MessageSchema } from '../../conversation/message.schema.js';
import { type Message } from '../../conversation/message.js';
import { type MessagePageBody } from './get-messages.query.js';

@ApiSchema({ name: 'MessagePage' })
export class MessagePageSchema implements MessagePageBody {
  @ApiProperty({ type: [MessageSchema], description: 'In ascending sequence order' }) data!: Message[];
  @ApiProperty({ description: 'More messages lie beyond the page in the direction being paged' })
  hasMore!: boolean;
  @ApiProperty({ type: 'integer', description: 'The stream revision the read model reflects; -1 for none' })
  revision!: number;
}
