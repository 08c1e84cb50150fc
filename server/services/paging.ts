/**
 * Paging rules shared by the node's query methods, as xmtp-node-go applies them. Node only.
 */
import { create } from '@bufbuild/protobuf';
import { PagingInfoSchema, SortDirection, type PagingInfo } from '../../src/gen/mls/api/v1/mls_pb.js';
import { pageSize, type PageQuery } from '../store/store.js';

/** Unspecified direction means DESC; limit 0 or over 100 means 100. */
export function toPageQuery(paging: PagingInfo | undefined): PageQuery {
  const direction = paging?.direction === SortDirection.ASCENDING ? 'asc' : 'desc';
  return { direction, limit: pageSize(paging?.limit ?? 0), cursor: paging?.idCursor ?? 0n };
}

/** The response's paging info: the cursor is the last id when the page is full, else 0. */
export function responsePaging(page: PageQuery, ids: readonly bigint[]): PagingInfo {
  const full = ids.length === page.limit && ids.length > 0;
  return create(PagingInfoSchema, {
    direction: page.direction === 'asc' ? SortDirection.ASCENDING : SortDirection.DESCENDING,
    limit: page.limit,
    idCursor: full ? ids[ids.length - 1]! : 0n,
  });
}
