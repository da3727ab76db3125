package dev.delugefs.swarm;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ContentInfoTest {
    private static final int PIECE = 16384;

    @Test
    void idIsTheInfoHashOfTheSingleFileInfoDictionary() {
        byte[] data = Reference.randomBytes(1, 2 * PIECE + 1);
        byte[] pieces = Reference.pieces(data, PIECE);
        ContentInfo info = ContentInfo.of(data.length, PIECE, pieces);

        assertThat(info.id()).isEqualTo(Reference.infoHash(data.length, PIECE, pieces)).matches("[0-9a-f]{40}");
        assertThat(info.pieceCount()).isEqualTo(3);
        assertThat(info.pieceHash(2)).isEqualTo(Arrays.copyOfRange(pieces, 40, 60));
    }

    @Test
    void emptyContentHasNoPieces() {
        ContentInfo empty = ContentInfo.of(0, PIECE, new byte[0]);
        assertThat(empty.id()).isEqualTo(Reference.infoHash(0, PIECE, new byte[0]));
        assertThat(empty.pieceCount()).isZero();
    }

    @Test
    void piecesAreCopiedInAndOut() {
        byte[] pieces = Reference.pieces(new byte[] {1, 2, 3}, PIECE);
        ContentInfo info = ContentInfo.of(3, PIECE, pieces);
        pieces[0]++;
        info.pieces()[0]++;

        assertThat(info.pieces()).isEqualTo(Reference.pieces(new byte[] {1, 2, 3}, PIECE));
    }

    @Test
    void equalityIsByContentOfThePieces() {
        ContentInfo a = ContentInfo.of(3, PIECE, Reference.pieces(new byte[] {1, 2, 3}, PIECE));
        ContentInfo b = ContentInfo.of(3, PIECE, Reference.pieces(new byte[] {1, 2, 3}, PIECE));
        ContentInfo c = ContentInfo.of(3, PIECE, Reference.pieces(new byte[] {1, 2, 4}, PIECE));

        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).isNotEqualTo(c);
        assertThat(ContentInfo.of(3, 2 * PIECE, a.pieces())).as("piece length is part of the id").isNotEqualTo(a);
    }

    @Test
    void inconsistentValuesAreRefused() {
        byte[] onePiece = Reference.pieces(new byte[] {1}, PIECE);
        ContentInfo valid = ContentInfo.of(1, PIECE, onePiece);

        assertThatThrownBy(() -> ContentInfo.of(PIECE + 1, PIECE, onePiece))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 piece hashes");
        assertThatThrownBy(() -> new ContentInfo("0".repeat(40), 1, PIECE, onePiece))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not match");
        assertThatThrownBy(() -> new ContentInfo(valid.id().toUpperCase(), 1, PIECE, onePiece))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ContentInfo.of(-1, PIECE, new byte[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ContentInfo.of(0, 0, new byte[0])).isInstanceOf(IllegalArgumentException.class);
        assertThat(new ContentInfo(valid.id(), 1, PIECE, onePiece)).isEqualTo(valid);
    }

    @Test
    void lengthsAboveFourGibibytesAreKept() {
        long length = (5L << 30) + 1;
        int pieceLength = 1 << 20;
        byte[] pieces = new byte[5121 * 20];
        ContentInfo info = ContentInfo.of(length, pieceLength, pieces);
        assertThat(info.id()).isEqualTo(Reference.infoHash(length, pieceLength, pieces));
    }
}
