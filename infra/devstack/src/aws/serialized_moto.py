"""moto's server, made as strict as DynamoDB where this project relies on it.

1. moto evaluates DynamoDB conditions and transactions without a lock, so two concurrent
   conditional writes to one item can both pass: DynamoDB never lets that happen, and the seq
   allocation and idempotent sends of this project rely on it. A readers-writer lock around
   the backend makes every request that may change anything exclusive: DynamoDB writes of
   any kind (a condition is checked and the write made with no other request running), every
   request to another service (S3, SNS, Cognito, SQS, STS, DynamoDB Streams) and every
   operation not named below. Only DynamoDB reads (`READS`: GetItem, BatchGetItem,
   TransactGetItems, Query, Scan, Describe*/List*) share the lock, with each other only.
   That is exact because (a) a read waits for a running write to finish and a write for the
   running reads, so a read sees every item either before or after a whole request (an
   UpdateItem changes an item's attributes in place, one action at a time, and Query and
   Scan iterate the table's dicts, which a concurrent write would break with "dictionary
   changed size during iteration"); and (b) reads change nothing, once moto's GetItem is made
   to stop inserting an empty partition on a miss (`get_item` below; `Table.items` is a
   defaultdict) and the Query below keeps its partition per thread. Writers go first: a read
   that arrives while a write waits queues behind it, so reads cannot starve writes.
2. moto's TransactWriteItems deep-copies every table it touches to be able to roll back, so
   each transaction costs time in proportion to everything stored. Holding the lock
   exclusively, a transaction can instead check every condition first and write only when
   all hold, which is what DynamoDB promises and costs nothing extra.
3. moto's Query on a table looks at every item of the table to find one partition's, so
   each Query costs time in proportion to everything stored (half of moto's time under
   `make bench`). Here it looks at the partition only, as DynamoDB does.
4. werkzeug logs every request to stderr (an eighth of moto's time under load); errors
   still reach the log through moto's own logging.

The pinned moto (infra/requirements.txt) is the one this is written against.

Usage: python serialized_moto.py HOST PORT
"""

import signal
import sys
import threading
from contextlib import contextmanager

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from werkzeug.serving import run_simple


def transact_write_items(self, transact_items):
    """Check every condition, then write all or nothing (writes hold the lock exclusively)."""
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    operations, targets, errors = [], set(), []
    for item in transact_items:
        if len(item) != 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
            raise ValueError("Unsupported transaction operation")
        table_name = op["TableName"]
        if op_type == "Put":
            table = self.get_table(table_name)
            key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = op["Item"][table.range_key_attr]
        else:
            key = op["Key"]
        target = (table_name, str(sorted(key.items())))
        if target in targets:
            raise MultipleTransactionsException()
        targets.add(target)

        current = self.get_item(table_name, key)
        condition = op.get("ConditionExpression")
        if condition is not None:
            holds = get_filter_expression(
                condition,
                op.get("ExpressionAttributeNames"),
                op.get("ExpressionAttributeValues"),
            ).expr(current)
            if not holds:
                old = None
                if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                    old = current.to_json()["Attributes"]
                errors.append(("ConditionalCheckFailed", "The conditional request failed", old))
                continue
        errors.append((None, None, None))
        operations.append((op_type, op, table_name, key))

    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)
    for op_type, op, table_name, key in operations:
        names = op.get("ExpressionAttributeNames")
        values = op.get("ExpressionAttributeValues")
        if op_type == "Put":
            self.put_item(table_name, op["Item"])
        elif op_type == "Delete":
            self.delete_item(table_name, key)
        elif op_type == "Update":
            self.update_item(
                table_name,
                key,
                update_expression=op["UpdateExpression"],
                expression_attribute_names=names,
                expression_attribute_values=values,
            )


DynamoDBBackend.transact_write_items = transact_write_items

table_get_item = Table.get_item


def get_item(self, hash_key, range_key=None, projection_expression=None):
    """Table.get_item without its side effect: on a table with a range key, moto's looks the
    partition up with `self.items[hash_key]` on a defaultdict, which inserts an empty
    partition for a missing key. A read must not write: another read iterating the table
    (Scan, an index Query, DescribeTable's count) would fail on the changed dict."""
    if self.range_key_attr is not None and range_key and hash_key not in self.items:
        return None
    return table_get_item(self, hash_key, range_key, projection_expression)


Table.get_item = get_item

table_query = Table.query
table_all_items = Table.all_items
# Position of `index_name` among Table.query's positional arguments after `hash_key`.
INDEX_NAME_ARG = 6
# The partition a Query in this thread is looking at: (table, items), or absent.
query_scope = threading.local()


def all_items(self):
    """The current thread's Query partition when it is on this table, else every item."""
    scope = getattr(query_scope, "partition", None)
    if scope is not None and scope[0] is self:
        return scope[1]
    return table_all_items(self)


Table.all_items = all_items


def query_partition(self, hash_key, *args, **kwargs):
    """Table.query over the items of `hash_key`'s partition instead of the whole table."""
    positional = args[INDEX_NAME_ARG] if len(args) > INDEX_NAME_ARG else None
    index_name = kwargs.get("index_name", positional)
    if index_name or hash_key is None:
        return table_query(self, hash_key, *args, **kwargs)
    partition = self.items.get(hash_key)
    if partition is None:
        items = []
    elif self.range_key_attr:
        items = list(partition.values())
    else:
        items = [partition]
    # moto's query reads self.all_items(). Queries run concurrently, so the partition is
    # kept per thread (query_scope) rather than on the shared table object.
    query_scope.partition = (self, items)
    try:
        return table_query(self, hash_key, *args, **kwargs)
    finally:
        query_scope.partition = None


Table.query = query_partition


class QuietRequestHandler(MotoRequestHandler):
    def log_request(self, code="-", size="-"):
        pass

backend = DomainDispatcherApplication(create_backend_app)

# DynamoDB operations that change nothing (see 1. above). Anything else is exclusive.
READS = frozenset(
    "DynamoDB_20120810." + op
    for op in (
        "GetItem",
        "BatchGetItem",
        "TransactGetItems",
        "Query",
        "Scan",
        "DescribeTable",
        "DescribeTimeToLive",
        "DescribeContinuousBackups",
        "ListTables",
        "ListTagsOfResource",
    )
)


class ReadersWriterLock:
    """Shared for readers, exclusive for a writer; a waiting writer holds back new readers."""

    def __init__(self):
        self._changed = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def shared(self):
        with self._changed:
            while self._writing or self._writers_waiting:
                self._changed.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._changed:
                self._readers -= 1
                if self._readers == 0:
                    self._changed.notify_all()

    @contextmanager
    def exclusive(self):
        with self._changed:
            self._writers_waiting += 1
            while self._writing or self._readers:
                self._changed.wait()
            self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._changed:
                self._writing = False
                self._changed.notify_all()


lock = ReadersWriterLock()


def serialized(environ, start_response):
    reads = environ.get("HTTP_X_AMZ_TARGET") in READS
    with lock.shared() if reads else lock.exclusive():
        # The whole response is produced under the lock: the write happens while iterating.
        return [b"".join(backend(environ, start_response))]


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    run_simple(host, port, serialized, threaded=True, request_handler=QuietRequestHandler)


if __name__ == "__main__":
    main()
