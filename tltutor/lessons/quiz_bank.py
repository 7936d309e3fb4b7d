"""The questions of each lesson's quiz (:mod:`tltutor.lessons.quiz`), keyed by notebook name.

Each question has its options, the letter of the right one, and the reason, which is shown once a
student answers it correctly. The reasons restate what the lesson measured or explained.
"""

QUESTIONS = {
    "00_quickstart": [
        dict(text="Why is the pretrained base frozen while the new head trains first?",
             options=("Frozen layers run faster on a GPU only",
                      "A randomly initialised head sends large, noisy gradients that would overwrite the "
                      "pretrained features before the head has learned anything",
                      "Keras cannot train a base and a head together"),
             answer="b",
             why="Train the head first; fine-tune later, gently, once its gradients carry signal."),
        dict(text="Why may `train_head` compute the base's features once and reuse them in every epoch?",
             options=("Because the base is frozen and the model has no augmentation, so the base's output "
                      "for an image never changes", "Because features are approximately equal between epochs",
                      "Because the head ignores the features after the first epoch"),
             answer="a",
             why="A frozen, deterministic function of the same image gives the same output: caching is exact."),
        dict(text="The head has no softmax. What must the loss be told?",
             options=("Nothing", "from_logits=True", "to apply a second softmax"),
             answer="b",
             why="Logits in, from_logits=True in the loss: one softmax, inside the loss, numerically stable."),
        dict(text="Fine-tuning beat raw-pixel logistic regression by about three points in one run. What do "
                  "you need before calling that a finding?",
             options=("Nothing: three points is a lot",
                      "Several seeds, to see whether the difference is larger than the spread between runs",
                      "A larger learning rate"),
             answer="b",
             why="A single draw can differ by a few points on its own; a claim needs the spread over seeds."),
    ],
    "01_choose_a_pretrained_model": [
        dict(text="What does a linear probe measure?",
             options=("How fast a base runs on a GPU",
                      "How much of what the target task needs can be read linearly from a frozen base's features",
                      "How well a base does after full fine-tuning"),
             answer="b",
             why="Frozen features, a new linear head, held-out accuracy: usefulness before any fine-tuning."),
        dict(text="Why probe the same architecture with random weights too?",
             options=("To separate what the pretraining learned from what the architecture alone gives",
                      "Because random weights are always better", "To make the table longer"),
             answer="a",
             why="Random convolutional features are not useless; the gap to them is what the source taught."),
        dict(text="According to Yosinski et al. (2014), how does transferability change?",
             options=("It grows with the distance between source and target",
                      "It falls as the target task gets further from the source, and for higher layers",
                      "It does not depend on the layer"),
             answer="b",
             why="General early features transfer widely; specific late features transfer only to similar tasks."),
        dict(text="Two candidates' probe accuracies lie within each other's spread over seeds. Which do you pick?",
             options=("The one with the higher mean, always", "The smaller and faster one",
                      "Neither: probe at a single seed instead"),
             answer="b",
             why="With no measurable difference in accuracy, cost decides."),
    ],
    "02_freeze_and_new_head": [
        dict(text="You set `base.trainable = True` on a compiled model that has trained already, and call `fit`. "
                  "What trains?",
             options=("The whole base", "Only what was trainable when the model was last compiled",
                      "Nothing: Keras raises an error"),
             answer="b",
             why="The training step is built at compile time; recompile after changing trainable."),
        dict(text="Why does tltutor keep BatchNorm layers frozen even after unfreezing the base?",
             options=("To save memory",
                      "Their moving statistics would follow the new data's batches and shift the features the "
                      "head was trained on",
                      "BatchNorm has no weights"),
             answer="b",
             why="In Keras 3 only a non-trainable BatchNorm layer stays in inference mode during fit."),
        dict(text="When is training the head on cached features exact?",
             options=("Always", "When the base is frozen and the model has no augmentation",
                      "Only on a GPU"),
             answer="b",
             why="Then the base's output for an image is the same in every epoch."),
        dict(text="The head trained on images and the head trained on cached features end with test accuracies "
                  "0.80 and 0.81 on one seed. What is the right conclusion?",
             options=("Caching makes the head better",
                      "Compare over seeds: a one-point gap on one draw is within the noise",
                      "Caching makes the head worse"),
             answer="b",
             why="The measured verdict over three seeds decides, not one pair of runs."),
    ],
}
