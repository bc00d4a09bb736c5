// The sample authenticated business-logic resolver kept from the original starter.
import { Arg, Authorized, Mutation, Resolver } from 'type-graphql';
import { isHotdog } from '../sample/hotdog';
import { SampleOutput } from './types';

@Resolver()
export class SampleResolver {
  @Authorized()
  @Mutation(() => SampleOutput, { nullable: true, description: 'Needs an access token. Tells whether a food is a hot dog.' })
  action_sample(@Arg('food', () => String) food: string): SampleOutput {
    return { hotdog: isHotdog(food) };
  }
}
